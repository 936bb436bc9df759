"""Personal access tokens: created (shown once), looked up by hash, revoked.

A token is for one living lab's API (scope `tenant`), made by a member of that lab, or for
the staff API (scope `staff`, no lab), made by network staff. Either works only where its
scope says, and only while its holder still is a member (or staff)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..db import locked, read_alone, release_read_transaction
from ..refusals import DomainError
from .models import ApiToken, Membership, User

TOKEN_PREFIX = "wkn_"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write a minute per token


class TokenError(DomainError):
    code = "token"


def token_hash(plaintext: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(plaintext.encode()).hexdigest()


MAX_LIVE_TOKENS = 20  # per person and scope: enough for every script, not a leak by the thousand


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise TokenError.on_field("name", _l("A token name is 1 to 80 characters."), code="token.name_invalid")
    return name


def _issue(session: Session, *, user: User, name: str, tenant_id: int | None, scope: str) -> tuple[ApiToken, str]:
    live = session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.scope == scope,
            ApiToken.tenant_id.is_(None) if tenant_id is None else ApiToken.tenant_id == tenant_id,
            ApiToken.revoked_at.is_(None),
        )
    )
    if live >= MAX_LIVE_TOKENS:
        raise TokenError(
            _l("You have %(num)d tokens already: revoke one you no longer use first.", num=MAX_LIVE_TOKENS),
            code="token.too_many",
            status=409,
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, tenant_id=tenant_id, scope=scope, name=name, token_hash=token_hash(plaintext), prefix=plaintext[:12]
    )
    session.add(token)
    session.flush()
    return token, plaintext


def create_token(session: Session, *, tenant_id: int, user: User, name: str) -> tuple[ApiToken, str]:
    """A token for one lab's API, for a member of that lab."""
    from .access import membership_of

    name = _clean_name(name)
    if membership_of(session, tenant_id, user.id) is None:
        raise TokenError(_l("Only a member of the living lab can have a token for it."), code="token.not_a_member", status=403)
    return _issue(session, user=user, name=name, tenant_id=tenant_id, scope="tenant")


def create_staff_token(session: Session, *, user: User, name: str) -> tuple[ApiToken, str]:
    """A token for the staff API (/api/v1/staff/...), for network staff."""
    name = _clean_name(name)
    if not user.is_staff:
        raise TokenError(_l("Only network staff can have a token for the staff API."), code="token.not_staff", status=403)
    return _issue(session, user=user, name=name, tenant_id=None, scope="staff")


def tokens_of(session: Session, user: User, *, tenant_id: int | None) -> list[ApiToken]:
    """A person's tokens for one lab (or, tenant_id None, for the staff API), newest first."""
    where = ApiToken.tenant_id.is_(None) if tenant_id is None else ApiToken.tenant_id == tenant_id
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, where).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    ).all()


def revoke_token(session: Session, *, tenant_id: int | None, token_id: int, user: User | None = None) -> ApiToken:
    """Revoke a token of a lab (tenant_id) or of the staff API (None); with `user`, only
    one of that person's own."""
    where = [ApiToken.id == token_id, ApiToken.tenant_id.is_(None) if tenant_id is None else ApiToken.tenant_id == tenant_id]
    if user is not None:
        where.append(ApiToken.user_id == user.id)
    token = session.scalars(locked(select(ApiToken).where(*where))).one_or_none()
    if token is None:
        raise TokenError(_l("There is no such token."), status=404, code="token.not_found")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(timezone.utc)
        session.flush()
    return token


# Every API request asks this: built once, not per request (the statement's building is
# about a tenth of the request's Python time).
_TOKEN_WITH_HOLDER = (
    select(ApiToken, User, Membership)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Membership, and_(Membership.tenant_id == ApiToken.tenant_id, Membership.user_id == ApiToken.user_id))
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def authenticate(engine: Engine, session: Session, plaintext: str) -> ApiToken | None:
    """The live token for `plaintext`, or None. Records when it was last used."""
    found = authenticate_with_membership(engine, session, plaintext)
    return None if found is None else found[0]


def authenticate_with_membership(
    engine: Engine, session: Session, plaintext: str
) -> tuple[ApiToken, User, Membership | None] | None:
    """The live token for `plaintext`, its holder and their membership in the token's lab
    (None for a staff token, or when they left it); or None. In one query.

    When it was last used is written in a short transaction of its own: an API request then
    writes to one store only (its tenant), so its answer never depends on a second commit."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 100:
        return None
    rows = read_alone(session, _TOKEN_WITH_HOLDER, {"token_hash": token_hash(plaintext)})
    if len(rows) != 1:  # a unique hash and one membership per lab: one row or none
        return None
    [(token, user, membership)] = rows
    if token.revoked_at is not None:
        return None
    now = datetime.now(timezone.utc)
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        release_read_transaction(session)  # one connection at a time (platform/db.py)
        with engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token, user, membership
