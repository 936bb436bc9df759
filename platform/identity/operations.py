"""Signing in: find or create the user behind an OpenID Connect identity."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import DomainError
from .models import Identity, User


class LoginRefused(DomainError):
    status = 403
    code = "login_refused"


def user_for_identity(session: Session, *, issuer: str, subject: str, claims: dict) -> User:
    """The user of (issuer, subject); created at the first login.

    Never linked by email alone. The one exception is a user that an operator created for
    an email address (CLI, demo, first admin of a new living lab) and that has no login
    yet: the first login whose provider vouches for that address (`email_verified`) takes
    it. Anything else with a known address is refused, so a second provider cannot take
    over an account.
    """
    identity = session.scalars(select(Identity).where(Identity.issuer == issuer, Identity.subject == subject)).one_or_none()
    email = (claims.get("email") or "").strip() or None
    if identity is not None:
        identity.last_login_at = func.now()
        identity.email = email
        session.flush()
        return session.get(User, identity.user_id)
    user = None
    if email:
        user = session.scalars(select(User).where(func.lower(User.email) == email.lower())).one_or_none()
        if user is not None:
            has_login = session.scalar(select(func.count()).select_from(Identity).where(Identity.user_id == user.id))
            if has_login or claims.get("email_verified") is not True:
                raise LoginRefused(
                    "An account with this email address already exists. Sign in the way you did before."
                )
    if user is None:
        name = (claims.get("name") or claims.get("preferred_username") or (email or "").split("@")[0] or "Bewoner").strip()
        user = User(email=email or f"{subject}@{_issuer_host(issuer)}.invalid", name=name[:120])
        session.add(user)
        session.flush()
    session.add(Identity(user_id=user.id, issuer=issuer, subject=subject, email=email))
    session.flush()
    return user


def _issuer_host(issuer: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(issuer).hostname or "provider").replace(".", "-")
