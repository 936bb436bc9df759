"""The development outbox page: what the `log` mailer "sent" (only with WIJKNET_MAIL_URL=log,
which production refuses)."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..paging import check_page, page_number
from ..tenancy.routing import platform_db
from .models import DevOutboxMessage

bp = Blueprint("dev_outbox", __name__)
PAGE_SIZE = 20


@bp.get("/dev/outbox")
def outbox():
    # It shows every invitation and claim link: network staff only, even in development.
    user = g.get("user")
    if user is None:
        return redirect(url_for("identity.login_page", next=request.path))
    if not user.is_staff:
        abort(404)
    page = page_number()
    session = platform_db()
    total = session.scalar(select(func.count()).select_from(DevOutboxMessage))
    messages = session.scalars(
        select(DevOutboxMessage).order_by(DevOutboxMessage.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "mail/outbox.html", messages=messages, total=total, page=page, pages=check_page(page, total, PAGE_SIZE)
    )
