"""Signing in: find or create the user behind an OpenID Connect identity, and the account
claims with which a person takes an account an operator made for them.

Who is trusted for what (docs/decisions/0003-who-a-login-provider-may-vouch-for.md):
- an identity is (issuer, subject) and, for a living lab's own provider, that lab;
- a lab's own provider makes users of that lab only: never linked to an existing account,
  never staff, never a member of another lab;
- a network provider the operator marked `link_verified_email` may hand a first login the
  account made for its verified address; any other provider may not;
- otherwise an account made in advance is taken only through its claim link.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..db import locked
from ..refusals import DomainError
from .models import AccountClaim, Identity, User
from .tokens import token_hash

CLAIM_DAYS = 14
NAME_MAX = 120


class LoginRefused(DomainError):
    status = 403
    code = "login_refused"


def clean_email(raw) -> str | None:
    """A syntactically valid address (RFC 5322 via email-validator), normalised; else None.

    `a@b`, commas, spaces and quoted oddities are refused: what we store we must be able to
    mail safely."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 254:
        return None
    try:
        return validate_email(raw.strip(), check_deliverability=False, allow_quoted_local=False).normalized
    except EmailNotValidError:
        return None


def network_user_by_email(session: Session, email: str) -> User | None:
    """The network user (not a lab's own) with this address."""
    return session.scalars(select(User).where(func.lower(User.email) == email.lower(), User.tenant_id.is_(None))).one_or_none()


def user_for_identity(
    session: Session,
    *,
    issuer: str,
    subject: str,
    claims: dict,
    tenant_id: int | None = None,
    link_verified_email: bool = False,
    claim_token: str | None = None,
) -> User:
    """The user of this identity; made (or, with a claim, taken) at the first login."""
    identity = session.scalars(
        select(Identity).where(
            Identity.issuer == issuer,
            Identity.subject == subject,
            Identity.tenant_id.is_(None) if tenant_id is None else Identity.tenant_id == tenant_id,
        )
    ).one_or_none()
    email = clean_email(claims.get("email"))
    if identity is not None:
        identity.last_login_at = func.now()
        identity.email = email
        session.flush()
        return session.get(User, identity.user_id)
    user = None
    if claim_token and tenant_id is None:
        user = take_claim(session, claim_token)
    elif tenant_id is None and email:
        user = network_user_by_email(session, email)
        if user is not None:
            has_login = session.scalar(select(func.count()).select_from(Identity).where(Identity.user_id == user.id))
            if has_login or not link_verified_email or claims.get("email_verified") is not True:
                raise LoginRefused(
                    _l("An account with this email address already exists. Sign in the way you did before."),
                    code="login.account_exists",
                )
    if user is None:
        if (
            tenant_id is not None
            and email
            and session.scalar(select(User.id).where(User.tenant_id == tenant_id, func.lower(User.email) == email.lower()))
        ):
            email = None  # another login of this lab's provider has this address: keep ours without it
        name = claims.get("name") or claims.get("preferred_username") or (email or "").split("@")[0] or "Bewoner"
        user = User(email=email, name=" ".join(str(name).split())[:NAME_MAX] or "Bewoner", tenant_id=tenant_id)
        session.add(user)
        session.flush()
    session.add(Identity(user_id=user.id, issuer=issuer, subject=subject, email=email, tenant_id=tenant_id))
    session.flush()
    return user


def create_claim(session: Session, user: User, *, actor: str, days: int = CLAIM_DAYS) -> str:
    """A claim link's token for an account made in advance; only its hash is kept."""
    if user.tenant_id is not None:
        raise LoginRefused(
            _l("This account belongs to a living lab's own sign-in service."), status=409, code="login.lab_account"
        )
    plaintext = secrets.token_urlsafe(24)
    session.add(
        AccountClaim(
            user_id=user.id,
            token_hash=token_hash(plaintext),
            created_by=actor,
            expires_at=datetime.now(timezone.utc) + timedelta(days=days),
        )
    )
    session.flush()
    return plaintext


def find_claim(session: Session, plaintext: str, *, for_update: bool = False) -> AccountClaim:
    query = select(AccountClaim).where(AccountClaim.token_hash == token_hash(plaintext or ""))
    claim = session.scalars(locked(query) if for_update else query).one_or_none()
    if claim is None:
        raise LoginRefused(_l("This link does not exist."), status=404, code="login.claim_not_found")
    if claim.claimed_at is not None:
        raise LoginRefused(_l("This link has already been used."), status=410, code="login.claim_used")
    if claim.expires_at <= datetime.now(timezone.utc):
        raise LoginRefused(_l("This link has expired. Ask for a new one."), status=410, code="login.claim_expired")
    return claim


def take_claim(session: Session, plaintext: str) -> User:
    """Use a claim link once (locked): its account becomes this login's."""
    claim = find_claim(session, plaintext, for_update=True)
    user = session.get(User, claim.user_id)
    if session.scalar(select(func.count()).select_from(Identity).where(Identity.user_id == user.id)):
        raise LoginRefused(
            _l("This account has already been taken. Sign in the way you did before."), status=409, code="login.account_taken"
        )
    claim.claimed_at = datetime.now(timezone.utc)
    session.flush()
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Sign out everywhere: every session cookie of this user stops working."""
    session.execute(update(User).where(User.id == user_id).values(session_generation=User.session_generation + 1))
