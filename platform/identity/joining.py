"""Joining a living lab: invitations (single use, expiring, giving a role) and the join
policy (invite only, open, or open with an admin's approval). One function per action."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Callable

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..db import locked
from ..labels import role_label
from ..mail.queue import queue_email
from ..refusals import DomainError
from ..tenancy.models import JOIN_POLICIES, StaffAuditEntry, Tenant
from ..tenancy.operations import add_member
from .access import ROLE_RANK, membership_of
from .models import Invitation, JoinRequest, Membership, User
from .operations import clean_email
from .tokens import token_hash

INVITATION_DAYS = 14


class JoinError(DomainError):
    code = "join"


def require_admin(session: Session, tenant: Tenant, user: User) -> None:
    membership = membership_of(session, tenant.id, user.id)
    if membership is None or membership.role != "admin":
        raise JoinError(_l("Only an administrator of this living lab can do that."), status=404, code="join.admin_only")


def create_invitation(
    session: Session, tenant: Tenant, inviter: User, *, email: str, role: str = "member", days: int = INVITATION_DAYS
) -> tuple[Invitation, str]:
    require_admin(session, tenant, inviter)
    return make_invitation(session, tenant, email=email, role=role, invited_by=inviter.id, days=days)


def make_invitation(
    session: Session, tenant: Tenant, *, email: str, role: str, invited_by: int | None = None, days: int = INVITATION_DAYS
) -> tuple[Invitation, str]:
    """An invitation and its link's token (shown once); for admins (above) and operators."""
    email = clean_email(email)
    if email is None:
        raise JoinError.on_field("email", _l("Enter an email address, like naam@voorbeeld.nl."), code="join.email_invalid")
    if role not in ROLE_RANK:
        raise JoinError.on_field("role", _l("Choose a role: member, moderator or administrator."), code="join.role_invalid")
    plaintext = secrets.token_urlsafe(24)
    invitation = Invitation(
        tenant_id=tenant.id,
        email=email,
        role=role,
        token_hash=token_hash(plaintext),
        invited_by=invited_by,
        expires_at=datetime.now(timezone.utc) + timedelta(days=days),
    )
    session.add(invitation)
    session.flush()
    return invitation, plaintext


def invite_by_email(
    session: Session, tenant: Tenant, inviter: User, *, email: str, role: str = "member", link_for: Callable[[str], str]
) -> tuple[Invitation, str]:
    """Make an invitation and queue the email with its link (sent only if this commits)."""
    invitation, token = create_invitation(session, tenant, inviter, email=email, role=role)
    send_invitation(session, tenant, invitation, link_for(token), inviter_name=inviter.name)
    return invitation, token


def send_invitation(session: Session, tenant: Tenant, invitation: Invitation, link: str, *, inviter_name: str) -> None:
    body = render_template(
        "mail/invitation.txt",
        inviter=inviter_name,
        tenant=tenant.name,
        role=role_label(invitation.role),
        expires=format_date(invitation.expires_at, "long"),
        link=link,
    )
    queue_email(session, to=invitation.email, subject=_("Invitation to join %(tenant)s", tenant=tenant.name), body=body)


def first_admin_email(email: str) -> str:
    """The first administrator's address, cleaned, or JoinError: checked before a lab is
    made (`wijknet tenants create`) and again when they are invited."""
    clean = clean_email(email)
    if clean is None:
        raise JoinError(f"{email!r} is not an email address.", code="join.email_invalid")
    return clean


def invite_first_admin(session: Session, tenant: Tenant, email: str, *, public_url: str, actor: str) -> str | None:
    """A new living lab's first administrator: an invitation, its email, and the link to
    show the operator. None when an earlier (interrupted) run already invited them."""
    clean = first_admin_email(email)
    open_one = session.scalar(
        select(Invitation.id).where(
            Invitation.tenant_id == tenant.id,
            Invitation.role == "admin",
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > datetime.now(timezone.utc),
            func.lower(Invitation.email) == clean.lower(),
        )
    )
    if open_one is not None:
        return None
    invitation, token = make_invitation(session, tenant, email=clean, role="admin")
    link = f"{public_url}/t/{tenant.slug}/invitation/{token}"
    send_invitation(session, tenant, invitation, link, inviter_name="wijknet")
    session.add(
        StaffAuditEntry(
            actor=actor,
            action="tenant.first_admin_invited",
            tenant_id=tenant.id,
            tenant_slug=tenant.slug,
            detail={"email": clean},
        )
    )
    return link


def find_invitation(session: Session, tenant: Tenant, plaintext: str, *, for_update: bool = False) -> Invitation:
    """The usable invitation of *this* tenant for `plaintext`, else JoinError (404)."""
    query = select(Invitation).where(Invitation.tenant_id == tenant.id, Invitation.token_hash == token_hash(plaintext or ""))
    invitation = session.scalars(locked(query) if for_update else query).one_or_none()
    if invitation is None:
        raise JoinError(_l("This invitation does not exist."), status=404, code="join.invitation_not_found")
    if invitation.accepted_at is not None:
        raise JoinError(_l("This invitation has already been used."), status=410, code="join.invitation_used")
    if invitation.expires_at <= datetime.now(timezone.utc):
        raise JoinError(_l("This invitation has expired. Ask for a new one."), status=410, code="join.invitation_expired")
    return invitation


def accept_invitation(session: Session, tenant: Tenant, plaintext: str, user: User) -> Membership:
    invitation = find_invitation(session, tenant, plaintext, for_update=True)  # locked and re-read: used once
    if user.tenant_id is not None and user.tenant_id != tenant.id:
        raise JoinError(
            _l("You signed in through another living lab's own sign-in service. Sign in with a general account to join."),
            status=403,
            code="join.other_lab_account",
        )
    invitation.accepted_at = datetime.now(timezone.utc)
    invitation.accepted_by = user.id
    current = membership_of(session, tenant.id, user.id)
    role = invitation.role if current is None or ROLE_RANK[invitation.role] > ROLE_RANK[current.role] else current.role
    return add_member(session, tenant, user, role, organisation=current.organisation if current else None)


def change_join_policy(session: Session, tenant: Tenant, admin: User, policy: str) -> None:
    """A tenant admin sets who may join: invite only, open, or open with approval."""
    require_admin(session, tenant, admin)
    if policy not in JOIN_POLICIES:
        raise JoinError.on_field("policy", _l("Choose who may join."), code="join.policy_invalid")
    set_join_policy(session, tenant, policy, actor=f"user:{admin.id}")


def set_join_policy(session: Session, tenant: Tenant, policy: str, *, actor: str) -> None:
    if policy not in JOIN_POLICIES:
        raise JoinError(f"Join policy must be one of: {', '.join(JOIN_POLICIES)}.", code="join.policy_invalid")
    if tenant.join_policy != policy:
        session.add(
            StaffAuditEntry(
                actor=actor,
                action="tenant.join_policy",
                tenant_id=tenant.id,
                tenant_slug=tenant.slug,
                detail={"from": tenant.join_policy, "to": policy},
            )
        )
        tenant.join_policy = policy
        session.flush()


def join(session: Session, tenant: Tenant, user: User) -> Membership | JoinRequest:
    """Join under the tenant's policy: a membership (open) or a pending request (approval)."""
    existing = membership_of(session, tenant.id, user.id)
    if existing is not None:
        return existing
    if user.tenant_id is not None and user.tenant_id != tenant.id:
        raise JoinError(
            _l("You signed in through another living lab's own sign-in service. Sign in with a general account to join."),
            status=403,
            code="join.other_lab_account",
        )
    if tenant.join_policy == "open":
        return add_member(session, tenant, user, "member")
    if tenant.join_policy == "approval":
        # A double submit (or two tabs) waits here for the first and finds its request.
        session.execute(
            pg_insert(JoinRequest)
            .values(tenant_id=tenant.id, user_id=user.id)
            .on_conflict_do_nothing(index_elements=["tenant_id", "user_id"])
        )
        request = session.scalars(
            locked(select(JoinRequest).where(JoinRequest.tenant_id == tenant.id, JoinRequest.user_id == user.id))
        ).one()
        if request.decision == "declined":
            raise JoinError(
                _l("Your request to join was declined. Ask an administrator."), status=403, code="join.request_declined"
            )
        return request
    raise JoinError(_l("This living lab is by invitation only."), status=403, code="join.invitation_only")


def decide_join_request(
    session: Session, tenant: Tenant, admin: User, request_id: int, *, approve: bool, home_link: str | None = None
) -> JoinRequest:
    """Approve or decline; an approved person gets a welcome email when `home_link` is given."""
    require_admin(session, tenant, admin)
    request = session.scalars(
        locked(select(JoinRequest).where(JoinRequest.id == request_id, JoinRequest.tenant_id == tenant.id))
    ).one_or_none()
    if request is None or request.decision is not None:
        raise JoinError(_l("No open request with that number."), status=404, code="join.request_not_found")
    request.decision = "approved" if approve else "declined"
    request.decided_by, request.decided_at = admin.id, datetime.now(timezone.utc)
    session.flush()
    if approve:
        person = session.get(User, request.user_id)
        add_member(session, tenant, person, "member")
        if home_link and clean_email(person.email):
            queue_email(
                session,
                to=person.email,
                subject=_("Welcome to %(tenant)s", tenant=tenant.name),
                body=render_template("mail/join_approved.txt", name=person.name, tenant=tenant.name, link=home_link),
            )
    return request
