"""The network staff console (/staff/): every living lab at a glance, the onboarding wizard,
one lab's page (suspend, resume, plan, starter kit, export, delete), the staff audit log and
staff API tokens. Staff only: anyone else signed in gets 403, a visitor the sign-in page.
Thin: the rules are in operations.py."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from ..billing.plans import load_plans
from ..identity.tokens import TokenError, create_staff_token, revoke_token, tokens_of
from ..modules import all_modules
from ..paging import check_page, page_number
from ..refusals import DomainError
from ..tenancy.models import TENANT_TYPES, Tenant
from ..tenancy.routing import platform_db
from ..tenancy.starter_kit import model_labs
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

bp = Blueprint("staff", __name__, url_prefix="/staff")
PER_PAGE = 50


@bp.before_request
def staff_only():
    user = g.get("user")
    if user is None:
        return redirect(url_for("identity.login_page", next=request.full_path.rstrip("?")))
    if not user.is_staff:
        abort(403)
    return None


def _state():
    return current_app.extensions["wijknet"]


def _forget(slug: str) -> None:
    _state().directory.forget(slug)


def _refused(exc: DomainError, template: str, **context):
    platform_db().rollback()
    return render_template(template, error=exc.message, errors=exc.errors, **context), exc.status


# --- the list -----------------------------------------------------------------------------------
@bp.get("/")
def index():
    session = platform_db()
    query = (request.args.get("q") or "").strip()[:100]
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "name"
    descending = request.args.get("dir") == "desc"
    page = page_number()
    rows, total = tenant_overview(
        session, query=query, sort=sort, descending=descending, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    pages = check_page(page, total, PER_PAGE)
    return render_template(
        "staff/index.html",
        rows=rows,
        modules=modules_of(session, [t.id for t, _n in rows]),
        total=total,
        page=page,
        pages=pages,
        query=query,
        sort=sort,
        descending=descending,
        plans=load_plans(),
    )


# --- the onboarding wizard ----------------------------------------------------------------------
def _wizard(form: dict, error=None, errors=None, status=200):
    return render_template(
        "staff/new.html",
        form=form,
        error=error,
        errors=errors or {},
        types=TENANT_TYPES,
        plans=list(load_plans().values()),
        modules=list(all_modules().values()),
        kits=model_labs(platform_db()),
        kit_modules=modules_of(platform_db(), [t.id for t in model_labs(platform_db())]),
    ), status


@bp.get("/new")
def new():
    return _wizard({"type": "wijkbedrijf", "plan": "pilot", "modules": ["board"]})


@bp.post("/new")
def create():
    raw = {key: request.form.get(key, "") for key in ("name", "slug", "type", "region", "tagline", "plan", "admin_email")}
    raw["starter_kit"] = request.form.get("starter_kit") or None
    raw["modules"] = request.form.getlist("modules")
    state = _state()
    try:
        done = onboard(
            state.engine,
            raw,
            staff=g.user,
            role_prefix=state.role_prefix,
            migrations_dir=state.settings.migrations_dir,
            public_url=state.settings.public_url,
        )
    except DomainError as exc:
        return _wizard(raw, error=exc.message, errors=exc.errors, status=exc.status)
    _forget(done.tenant.slug)
    return render_template("staff/onboarded.html", tenant=done.tenant, link=done.invitation_link, email=done.admin_email)


@bp.get("/slug-check")
def slug_check():
    """The wizard's live check of an address (JSON)."""
    return jsonify(check_slug(platform_db(), request.args.get("slug", "")[:60]))


# --- one lab ------------------------------------------------------------------------------------
def _lab_or_404(slug: str) -> Tenant:
    tenant = platform_db().scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if tenant is None:
        abort(404)
    return tenant


def _lab_page(slug: str, error=None, errors=None, status=200):
    session = platform_db()
    tenant = _lab_or_404(slug)
    entries, _total = staff_log(session, limit=20, offset=0, slug=slug)
    return render_template(
        "staff/lab.html",
        lab=tenant,
        members=member_count(session, tenant.id),
        modules=modules_of(session, [tenant.id]).get(tenant.id, []),
        plans=list(load_plans().values()),
        entries=entries,
        error=error,
        errors=errors or {},
    ), status


@bp.get("/labs/<slug>")
def lab(slug: str):
    return _lab_page(slug)


def _lab_action(slug: str, action):
    _lab_or_404(slug)
    try:
        action()
    except DomainError as exc:
        platform_db().rollback()
        return _lab_page(slug, error=exc.message, errors=exc.errors, status=exc.status)
    _forget(slug)
    return redirect(url_for("staff.lab", slug=slug))


@bp.post("/labs/<slug>/status")
def lab_status(slug: str):
    return _lab_action(
        slug, lambda: set_status(platform_db(), g.user, slug, request.form.get("status", ""), request.form.get("reason", ""))
    )


@bp.post("/labs/<slug>/model")
def lab_model(slug: str):
    return _lab_action(slug, lambda: set_model(platform_db(), g.user, slug, request.form.get("on") == "1"))


@bp.post("/labs/<slug>/plan")
def lab_plan(slug: str):
    return _lab_action(
        slug,
        lambda: change_plan(
            platform_db(), g.user, slug, request.form.get("plan", ""), billing_arranged=request.form.get("arranged") == "on"
        ),
    )


@bp.post("/labs/<slug>/export")
def lab_export(slug: str):
    _lab_or_404(slug)
    payload, filename = export_lab(_state().engine, g.user, slug)
    response = Response(payload, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/labs/<slug>/delete", methods=["GET", "POST"])
def lab_delete(slug: str):
    tenant = _lab_or_404(slug)
    if request.method == "GET":
        return render_template("staff/delete.html", lab=tenant, error=None, errors={})
    try:
        path = delete_lab(
            _state().engine, g.user, slug, request.form.get("confirmation", ""), export_dir=_state().settings.export_dir
        )
    except DomainError as exc:
        return _refused(exc, "staff/delete.html", lab=tenant)
    _forget(slug)
    return render_template("staff/deleted.html", slug=slug, name=tenant.name, path=path)


# --- the staff audit log ------------------------------------------------------------------------
@bp.get("/audit")
def audit():
    page = page_number()
    slug = (request.args.get("lab") or "").strip()[:60] or None
    entries, total = staff_log(platform_db(), limit=PER_PAGE, offset=(page - 1) * PER_PAGE, slug=slug)
    pages = check_page(page, total, PER_PAGE)
    return render_template("staff/audit.html", entries=entries, total=total, page=page, pages=pages, lab=slug)


# --- staff API tokens ---------------------------------------------------------------------------
def _tokens_page(*, new=None, plaintext=None, error=None, errors=None, name="", status=200):
    return (
        render_template(
            "staff/tokens.html",
            tokens=tokens_of(platform_db(), g.user, tenant_id=None),
            new=new,
            plaintext=plaintext,
            error=error,
            errors=errors or {},
            name=name,
        ),
        status,
        {"Cache-Control": "no-store"},
    )


@bp.get("/tokens")
def tokens():
    return _tokens_page()


@bp.post("/tokens")
def token_create():
    name = request.form.get("name", "")
    try:
        token, plaintext = create_staff_token(platform_db(), user=g.user, name=name)
    except TokenError as exc:
        platform_db().rollback()
        return _tokens_page(error=exc.message, errors=exc.errors, name=name, status=exc.status)
    return _tokens_page(new=token, plaintext=plaintext)


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int):
    revoke_token(platform_db(), tenant_id=None, token_id=token_id, user=g.user)
    return redirect(url_for("staff.tokens"))
