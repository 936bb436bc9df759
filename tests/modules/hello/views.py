from flask import Blueprint, redirect, render_template, url_for

from wijknet.platform.modules import module_settings
from wijknet.platform.tenancy.routing import current_tenant, tenant_db
from wijknet.tenants.core.access import current_member

from .operations import wave, waves

bp = Blueprint("hello", __name__, url_prefix="/t/<slug>/hello", template_folder="templates")


@bp.get("/")
def index():
    settings = module_settings("hello")
    return render_template(
        "hello/index.html",
        tenant=current_tenant(),
        greeting=settings["greeting"],
        waves=waves(tenant_db(), settings["waves_shown"]),
    )


@bp.post("/wave")
def wave_now():
    wave(tenant_db(), current_member())
    return redirect(url_for("hello.index"))
