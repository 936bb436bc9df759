"""A living lab's home page."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from wijknet.platform.tenancy.routing import bind_tenant, current_tenant, tenant_db

from .models import Member

bp = bind_tenant(Blueprint("tenant_core", __name__, url_prefix="/t/<slug>", template_folder="templates"))


@bp.get("/")
def home():
    tenant = current_tenant()
    session = tenant_db()
    counts = dict(session.execute(select(Member.role, func.count()).group_by(Member.role)).all())
    return render_template("core/home.html", tenant=tenant, member_count=sum(counts.values()), counts=counts)
