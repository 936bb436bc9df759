"""The tenant admin console (/t/<slug>/admin/): the lab's modules, switched on and off and
configured through a form derived from each module's settings schema. Admins only."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from wijknet.tenants.core.access import access, role

from ..modules import all_modules
from ..tenancy.models import Tenant
from ..tenancy.routing import bind_tenant, current_tenant, platform_db
from .operations import ModuleError, change_module_settings, switch_module
from .settings_form import form_fields, form_values, read_form

bp = bind_tenant(Blueprint("admin", __name__, url_prefix="/t/<slug>/admin"))
ADMINS = role("admin")


def _tenant_row() -> Tenant:
    return platform_db().get(Tenant, current_tenant().id)


def _forget() -> None:
    current_app.extensions["wijknet"].directory.forget(current_tenant().slug)


@bp.get("/")
@access(ADMINS)
def home():
    return render_template("admin/home.html", tenant=current_tenant())


@bp.route("/modules", methods=["GET", "POST"])
@access(ADMINS)
def modules():
    if request.method == "POST":
        name = request.form.get("module", "")
        switch_module(platform_db(), _tenant_row(), g.user, name, on=request.form.get("on") == "1")
        _forget()
        return redirect(url_for("admin.modules"))
    tenant = current_tenant()
    return render_template("admin/modules.html", tenant=tenant, modules=list(all_modules().values()))


@bp.route("/modules/<name>", methods=["GET", "POST"])
@access(ADMINS)
def module_settings(name: str):
    module = all_modules().get(name)
    if module is None:
        abort(404)
    tenant = current_tenant()
    values, error, errors, saved, status = module.settings_from(tenant.settings.get(name)), None, {}, False, 200
    if request.method == "POST":
        raw = read_form(module.settings, request.form)
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
        fields=form_fields(module.settings),
        values=form_values(module.settings, values),
        error=error,
        errors=errors,
        saved=saved,
    ), status
