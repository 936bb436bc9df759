"""The staff API (/api/v1/staff/...): the staff console's actions for scripts, with a staff
token (made in the console). The same operations as the pages (operations.py)."""

from __future__ import annotations

from flask import Response, abort, current_app, g
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..api_blueprint import Blueprint
from ..tenancy.models import Tenant
from ..tenancy.routing import platform_db
from .operations import (
    SORTS,
    change_plan,
    check_slug,
    delete_lab,
    export_lab,
    member_count,
    modules_of,
    onboard,
    set_model,
    set_status,
    staff_log,
    tenant_overview,
)
from .schemas import OnboardingSchema

blp = Blueprint(
    "staff_api", __name__, url_prefix="/api/v1/staff", description="Network staff: living labs, onboarding, audit (staff token)."
)


@blp.before_request
def staff_only():
    user = g.get("user")
    if user is None:
        abort(401, description="A staff token is needed: Authorization: Bearer <token>.")
    if not user.is_staff:
        abort(403, description="This API is for network staff.")


def _state():
    return current_app.extensions["wijknet"]


class LabSchema(Schema):
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    type = fields.String(dump_only=True)
    region = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    plan = fields.String(dump_only=True)
    billing_status = fields.String(dump_only=True)
    members = fields.Integer(dump_only=True)
    modules = fields.List(fields.String(), dump_only=True)
    is_model = fields.Boolean(dump_only=True)
    last_activity_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class OnboardedSchema(Schema):
    lab = fields.Nested(LabSchema, dump_only=True)
    admin_email = fields.String(dump_only=True)
    invitation_link = fields.String(dump_only=True, allow_none=True)


class ListQuery(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    sort = fields.String(load_default="name", validate=validate.OneOf(list(SORTS)))
    dir = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))


class SlugQuery(Schema):
    slug = fields.String(required=True, validate=validate.Length(max=60))


class SlugCheckSchema(Schema):
    slug = fields.String(dump_only=True)
    available = fields.Boolean(dump_only=True)
    message = fields.String(dump_only=True)
    suggestion = fields.String(dump_only=True, allow_none=True)


class StatusIn(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class PlanIn(Schema):
    plan = fields.String(required=True)
    billing_arranged = fields.Boolean(load_default=False)


class ModelIn(Schema):
    on = fields.Boolean(required=True)


class DeleteIn(Schema):
    confirmation = fields.String(required=True, metadata={"description": "The lab's slug, typed again"})


class DeletedSchema(Schema):
    slug = fields.String(dump_only=True)
    export_file = fields.String(dump_only=True)


class AuditQuery(Schema):
    lab = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class AuditEntrySchema(Schema):
    id = fields.Integer(dump_only=True)
    at = fields.DateTime(dump_only=True)
    actor = fields.String(dump_only=True)
    action = fields.String(dump_only=True)
    tenant_slug = fields.String(dump_only=True, allow_none=True)
    detail = fields.Dict(dump_only=True)


def _lab_out(tenant: Tenant, members: int, modules: list[str]) -> dict:
    return {
        **{k: getattr(tenant, k) for k in LabSchema().fields if hasattr(tenant, k) and k not in ("members", "modules")},
        "members": members,
        "modules": modules,
    }


def _lab_by_slug(slug: str) -> dict:
    session = platform_db()
    tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if tenant is None:
        abort(404)
    return _lab_out(tenant, member_count(session, tenant.id), modules_of(session, [tenant.id]).get(tenant.id, []))


@blp.route("/labs")
class Labs(MethodView):
    @blp.arguments(ListQuery, location="query")
    @blp.response(200, LabSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Every living lab with status, members, last activity, plan and payment state."""
        session = platform_db()
        rows, total = tenant_overview(
            session,
            query=query["q"],
            sort=query["sort"],
            descending=query["dir"] == "desc",
            limit=pagination_parameters.page_size,
            offset=pagination_parameters.first_item,
        )
        pagination_parameters.item_count = total
        modules = modules_of(session, [t.id for t, _n in rows])
        return [_lab_out(t, n, modules.get(t.id, [])) for t, n in rows]

    @blp.arguments(OnboardingSchema)
    @blp.response(201, OnboardedSchema)
    def post(self, data):
        """Onboard a living lab: provision it (from a starter kit if given) and invite its first admin."""
        state = _state()
        done = onboard(
            state.engine,
            data,
            staff=g.user,
            role_prefix=state.role_prefix,
            migrations_dir=state.settings.migrations_dir,
            public_url=state.settings.public_url,
        )
        state.directory.forget(done.tenant.slug)
        return {"lab": _lab_by_slug(done.tenant.slug), "admin_email": done.admin_email, "invitation_link": done.invitation_link}


@blp.route("/slug-check")
class SlugCheck(MethodView):
    @blp.arguments(SlugQuery, location="query")
    @blp.response(200, SlugCheckSchema)
    def get(self, query):
        """Is this address free for a new living lab?"""
        return check_slug(platform_db(), query["slug"])


@blp.route("/labs/<slug>")
class Lab(MethodView):
    @blp.response(200, LabSchema)
    def get(self, slug):
        """One living lab."""
        return _lab_by_slug(slug)

    @blp.arguments(DeleteIn)
    @blp.response(200, DeletedSchema)
    def delete(self, data, slug):
        """Delete a living lab for good: its export is written on the server first."""
        state = _state()
        _lab_by_slug(slug)
        path = delete_lab(state.engine, g.user, slug, data["confirmation"], export_dir=state.settings.export_dir)
        state.directory.forget(slug)
        return {"slug": slug, "export_file": path}


@blp.route("/labs/<slug>/suspend")
class Suspend(MethodView):
    @blp.arguments(StatusIn)
    @blp.response(200, LabSchema)
    def post(self, data, slug):
        """Suspend a living lab: everyone can read, nobody can change anything."""
        set_status(platform_db(), g.user, slug, "suspended", data["reason"])
        _state().directory.forget(slug)
        return _lab_by_slug(slug)


@blp.route("/labs/<slug>/resume")
class Resume(MethodView):
    @blp.response(200, LabSchema)
    def post(self, slug):
        """Lift a suspension."""
        set_status(platform_db(), g.user, slug, "active")
        _state().directory.forget(slug)
        return _lab_by_slug(slug)


@blp.route("/labs/<slug>/plan")
class LabPlan(MethodView):
    @blp.arguments(PlanIn)
    @blp.response(200, LabSchema)
    def put(self, data, slug):
        """Put a living lab on a plan (refused when it uses more than the plan allows)."""
        change_plan(platform_db(), g.user, slug, data["plan"], billing_arranged=data["billing_arranged"])
        _state().directory.forget(slug)
        return _lab_by_slug(slug)


@blp.route("/labs/<slug>/model")
class LabModel(MethodView):
    @blp.arguments(ModelIn)
    @blp.response(200, LabSchema)
    def put(self, data, slug):
        """Offer (or stop offering) a living lab's set-up as a starter kit."""
        set_model(platform_db(), g.user, slug, data["on"])
        return _lab_by_slug(slug)


@blp.route("/labs/<slug>/export")
class LabExport(MethodView):
    @blp.response(200, content_type="application/zip", description="The export: a zip of CSV and JSON with a manifest")
    def get(self, slug):
        """Every table of the living lab as CSV and JSON, in one zip."""
        _lab_by_slug(slug)
        payload, filename = export_lab(_state().engine, g.user, slug)
        return Response(
            payload,
            mimetype="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """The staff audit log, newest first (optionally of one lab)."""
        rows, total = staff_log(
            platform_db(), limit=pagination_parameters.page_size, offset=pagination_parameters.first_item, slug=query["lab"]
        )
        pagination_parameters.item_count = total
        return rows
