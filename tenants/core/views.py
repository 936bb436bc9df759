"""A living lab's home page."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from wijknet.platform.identity.access import current_membership
from wijknet.platform.paging import check_page, page_number
from wijknet.platform.tenancy.routing import bind_tenant, current_tenant, tenant_db

from .access import PUBLIC, access
from .idempotency import request_key_field
from .models import Member

MEMBERS_PER_PAGE = 50

bp = bind_tenant(Blueprint("tenant_core", __name__, url_prefix="/t/<slug>", template_folder="templates"))
bp.add_app_template_global(request_key_field)


@bp.get("/")
@access(PUBLIC)
def home():
    tenant = current_tenant()
    session = tenant_db()
    counts = dict(session.execute(select(Member.role, func.count()).group_by(Member.role)).all())
    return render_template(
        "core/home.html", tenant=tenant, member_count=sum(counts.values()), counts=counts, membership=current_membership()
    )


@bp.get("/members")
def members():
    session = tenant_db()
    page = page_number()
    total = session.scalar(select(func.count()).select_from(Member))
    people = session.scalars(
        select(Member).order_by(Member.display_name, Member.id).limit(MEMBERS_PER_PAGE).offset((page - 1) * MEMBERS_PER_PAGE)
    ).all()
    pages = check_page(page, total, MEMBERS_PER_PAGE)
    return render_template("core/members.html", tenant=current_tenant(), people=people, total=total, page=page, pages=pages)
