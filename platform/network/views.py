"""The network's own pages: the landing page listing its living labs."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from ..tenancy.models import Tenant
from ..tenancy.routing import platform_db

bp = Blueprint("network", __name__)
PAGE_SIZE = 24


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.get("/")
def index():
    page = page_number()
    session = platform_db()
    visible = Tenant.status.in_(("active", "suspended"))
    total = session.scalar(select(func.count()).select_from(Tenant).where(visible))
    labs = session.scalars(
        select(Tenant).where(visible).order_by(Tenant.name, Tenant.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("network/index.html", labs=labs, total=total, page=page, pages=pages)
