"""Personal access tokens: created (shown once), looked up by hash, revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..errors import DomainError
from .models import ApiToken, User

TOKEN_PREFIX = "wkn_"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write a minute per token


class TokenError(DomainError):
    code = "token"


def token_hash(plaintext: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(session: Session, *, tenant_id: int, user: User, name: str) -> tuple[ApiToken, str]:
    from .access import membership_of

    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise TokenError("A token name is 1 to 80 characters.", code="token.name_invalid")
    if membership_of(session, tenant_id, user.id) is None:
        raise TokenError("Only a member of the living lab can have a token for it.", code="token.not_a_member")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, tenant_id=tenant_id, name=name, token_hash=token_hash(plaintext), prefix=plaintext[:12])
    session.add(token)
    session.flush()
    return token, plaintext


def revoke_token(session: Session, *, tenant_id: int, token_id: int) -> ApiToken:
    token = session.scalars(select(ApiToken).where(ApiToken.id == token_id, ApiToken.tenant_id == tenant_id)).one_or_none()
    if token is None:
        raise TokenError("No such token in this living lab.", status=404, code="token.not_found")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(timezone.utc)
        session.flush()
    return token


def authenticate(engine: Engine, session: Session, plaintext: str) -> ApiToken | None:
    """The live token for `plaintext`, or None. Records when it was last used.

    The record is written in a short transaction of its own: an API request then writes to
    one store only (its tenant), so its answer never depends on a second commit."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 100:
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(plaintext))).one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    now = datetime.now(timezone.utc)
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        with engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token
