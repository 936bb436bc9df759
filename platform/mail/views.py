"""The development outbox page: what the `log` mailer "sent" (only with WIJKNET_MAIL_URL=log,
which production refuses)."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from ..network.views import page_number
from ..tenancy.routing import platform_db
from .models import DevOutboxMessage

bp = Blueprint("dev_outbox", __name__)
PAGE_SIZE = 20


@bp.get("/dev/outbox")
def outbox():
    page = page_number()
    session = platform_db()
    total = session.scalar(select(func.count()).select_from(DevOutboxMessage))
    messages = session.scalars(
        select(DevOutboxMessage).order_by(DevOutboxMessage.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template("mail/outbox.html", messages=messages, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)))
