"""Accounts made in advance by an operator (`wijknet users add`, staff): the person takes
theirs through a claim link, sent by email and shown to the operator once."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..mail.queue import queue_email
from .models import Identity, User
from .operations import clean_email, create_claim


def claim_account_by_email(session: Session, user: User, *, public_url: str, actor: str) -> str | None:
    """A claim link for `user`, emailed to them; None when they have signed in already."""
    if session.scalar(select(func.count()).select_from(Identity).where(Identity.user_id == user.id)):
        return None
    token = create_claim(session, user, actor=actor)
    link = f"{public_url}/claim/{token}"
    if clean_email(user.email):
        queue_email(
            session,
            to=user.email,
            subject=_("Your account on wijknet"),
            body=render_template("mail/account_claim.txt", name=user.name, link=link),
        )
    return link
