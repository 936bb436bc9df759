"""The tenant admin console (/t/<slug>/admin/): the lab's name and branding, its modules
(switched on and off, configured through forms derived from each module's settings schema),
members and their roles, billing, the data export and the lab's audit log. Admins only;
invitations, the join policy and sign-in options live in identity/tenant_views.py."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from wijknet.tenants.core.access import access, role
from wijknet.tenants.core.models import Member, TenantAuditEntry

from ..billing.gateway import current_gateway
from ..billing.operations import open_portal, start_checkout
from ..billing.plans import current_plans
from ..db import contains_pattern
from ..identity.models import MEMBER_ROLES, Membership, User
from ..modules import all_modules
from ..paging import check_page, page_number
from ..refusals import DomainError
from ..tenancy.export import export_tenant
from ..tenancy.follow_up import audit_after_commit
from ..tenancy.models import Tenant
from ..tenancy.routing import bind_tenant, current_tenant, platform_db, tenant_db
from .audit_labels import describe
from .operations import ModuleError, change_general, change_member_role, change_module_settings, remove_from_lab, switch_module
from .settings_form import form_fields, form_values, read_form

bp = bind_tenant(Blueprint("admin", __name__, url_prefix="/t/<slug>/admin"))
ADMINS = role("admin")
PER_PAGE = 50


def _tenant_row() -> Tenant:
    return platform_db().get(Tenant, current_tenant().id)


def _forget() -> None:
    current_app.extensions["wijknet"].directory.forget(current_tenant().slug)


@bp.get("/")
@access(ADMINS)
def home():
    return render_template("admin/home.html", tenant=current_tenant())


# --- general settings and branding -------------------------------------------------------------
@bp.route("/general", methods=["GET", "POST"])
@access(ADMINS)
def general():
    row = _tenant_row()
    form = {"name": row.name, "tagline": row.tagline, "welcome_text": row.welcome_text, "colour": row.brand_colour or ""}
    error, errors, saved, status = None, {}, False, 200
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in form}
        upload = request.files.get("logo")
        logo = upload.read() if upload else None
        if upload:
            upload.close()
        try:
            change_general(
                platform_db(),
                row,
                g.user,
                **form,
                logo=logo,
                remove_logo=request.form.get("remove_logo") == "on",
            )
            saved = True
            _forget()
        except DomainError as exc:
            error, errors, status = exc.message, exc.errors, exc.status
            platform_db().rollback()
    return render_template(
        "admin/general.html", tenant=current_tenant(), row=row, form=form, error=error, errors=errors, saved=saved
    ), status


# --- modules ------------------------------------------------------------------------------------
@bp.route("/modules", methods=["GET", "POST"])
@access(ADMINS)
def modules():
    error, status = None, 200
    if request.method == "POST":
        name = request.form.get("module", "")
        try:
            switch_module(platform_db(), _tenant_row(), g.user, name, on=request.form.get("on") == "1")
            _forget()
            return redirect(url_for("admin.modules"))
        except ModuleError as exc:
            error, status = exc.message, exc.status
    tenant = current_tenant()
    return render_template("admin/modules.html", tenant=tenant, modules=list(all_modules().values()), error=error), status


@bp.route("/modules/<name>", methods=["GET", "POST"])
@access(ADMINS)
def module_settings(name: str):
    module = all_modules().get(name)
    if module is None:
        abort(404)
    tenant = current_tenant()
    values, error, errors, saved, status = module.settings_from(tenant.settings.get(name)), None, {}, False, 200
    if request.method == "POST":
        raw = read_form(module.settings_schema(), request.form)
        try:
            values = change_module_settings(platform_db(), _tenant_row(), g.user, name, raw)
            saved = True
            _forget()
        except ModuleError as exc:
            error, errors, status, values = exc.message, exc.errors, exc.status, raw
    return render_template(
        "admin/module_settings.html",
        tenant=tenant,
        module=module,
        fields=form_fields(module.settings_schema()),
        values=form_values(module.settings_schema(), values),
        error=error,
        errors=errors,
        saved=saved,
    ), status


# --- members and roles --------------------------------------------------------------------------
@bp.get("/members")
@access(ADMINS)
def members():
    session = platform_db()
    query = (request.args.get("q") or "").strip()[:100]
    where = [Membership.tenant_id == current_tenant().id]
    if query:
        pattern = contains_pattern(query)
        where.append(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(Membership).join(User).where(*where))
    page = page_number()
    pages = check_page(page, total, PER_PAGE)
    people = session.execute(
        select(Membership, User)
        .join(User)
        .where(*where)
        .order_by(func.lower(User.name), User.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "admin/members.html",
        tenant=current_tenant(),
        people=people,
        total=total,
        page=page,
        pages=pages,
        query=query,
        roles=MEMBER_ROLES,
        error=request.args.get("error"),
    )


def _member_action(action) -> Response:
    try:
        action()
    except DomainError as exc:
        platform_db().rollback()
        return render_template("admin/refused.html", tenant=current_tenant(), message=exc.message), exc.status
    return redirect(url_for("admin.members", q=request.form.get("q") or None))


@bp.post("/members/<int:user_id>/role")
@access(ADMINS)
def member_role(user_id: int):
    return _member_action(lambda: change_member_role(platform_db(), _tenant_row(), g.user, user_id, request.form.get("role", "")))


@bp.post("/members/<int:user_id>/remove")
@access(ADMINS)
def member_remove(user_id: int):
    return _member_action(lambda: remove_from_lab(platform_db(), _tenant_row(), g.user, user_id))


# --- billing ------------------------------------------------------------------------------------
@bp.get("/billing")
@access(ADMINS)
def billing():
    plans = current_plans()
    return render_template(
        "admin/billing.html",
        tenant=current_tenant(),
        row=_tenant_row(),
        plans=list(plans.values()),
        current=plans.get(_tenant_row().plan),
        returned=request.args.get("checkout"),
        payments_on=current_gateway().configured,
    )


def _billing_action(action) -> Response:
    try:
        return redirect(action(), code=303)
    except DomainError as exc:
        platform_db().rollback()
        return render_template("admin/refused.html", tenant=current_tenant(), message=exc.message), exc.status


@bp.post("/billing/checkout")
@access(ADMINS)
def billing_checkout():
    plan = current_plans().get(request.form.get("plan", ""))
    if plan is None:
        return render_template("admin/refused.html", tenant=current_tenant(), message=_unknown_plan()), 400
    here = url_for("admin.billing", _external=True)
    return _billing_action(
        lambda: start_checkout(
            platform_db(),
            current_gateway(),
            _tenant_row(),
            g.user,
            plan,
            success_url=f"{here}?checkout=done",
            cancel_url=f"{here}?checkout=cancelled",
        )
    )


@bp.post("/billing/portal")
@access(ADMINS)
def billing_portal():
    here = url_for("admin.billing", _external=True)
    return _billing_action(lambda: open_portal(platform_db(), current_gateway(), _tenant_row(), g.user, return_url=here))


def _unknown_plan() -> str:
    from flask_babel import gettext

    return gettext("Choose one of the plans on the page.")


# --- data export --------------------------------------------------------------------------------
@bp.route("/export", methods=["GET", "POST"])
@access(ADMINS)
def export():
    tenant = current_tenant()
    if request.method == "GET":
        return render_template("admin/export.html", tenant=tenant)
    payload, summary = export_tenant(current_app.extensions["wijknet"].engine, tenant.slug)
    audit_after_commit(
        platform_db(), tenant.id, "lab.exported", actor_user_id=g.user.id, tables=len(summary.tables), bytes=summary.size
    )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    response = Response(payload, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{tenant.slug}-{stamp}.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the lab's audit log ------------------------------------------------------------------------
@bp.get("/audit")
@access(ADMINS)
def audit():
    session = tenant_db()
    total = session.scalar(select(func.count()).select_from(TenantAuditEntry))
    page = page_number()
    pages = check_page(page, total, PER_PAGE)
    rows = session.execute(
        select(TenantAuditEntry, Member.display_name)
        .outerjoin(Member, Member.id == TenantAuditEntry.actor_member_id)
        .order_by(TenantAuditEntry.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    entries = [(entry, who, describe(entry.action, entry.detail)) for entry, who in rows]
    return render_template("admin/audit.html", tenant=current_tenant(), entries=entries, total=total, page=page, pages=pages)
