"""The network's own pages: the landing page listing its living labs."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from ..paging import check_page, page_number
from ..tenancy.models import Tenant
from ..tenancy.routing import platform_db

bp = Blueprint("network", __name__)
PAGE_SIZE = 24


@bp.get("/")
def index():
    page = page_number()
    session = platform_db()
    visible = Tenant.status.in_(("active", "suspended"))
    total = session.scalar(select(func.count()).select_from(Tenant).where(visible))
    labs = session.scalars(
        select(Tenant).where(visible).order_by(Tenant.name, Tenant.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    pages = check_page(page, total, PAGE_SIZE)
    return render_template("network/index.html", labs=labs, total=total, page=page, pages=pages)
