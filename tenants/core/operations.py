"""Actions on a tenant's own core tables. They flush; the caller's unit of work commits."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Member, TenantAuditEntry


def record(session: Session, action: str, *, actor_member_id: int | None = None, **detail) -> None:
    session.add(TenantAuditEntry(action=action, actor_member_id=actor_member_id, detail=detail))


def sync_member(session: Session, *, user_id: int, display_name: str, role: str, organisation: str | None = None) -> Member:
    """Create or update the tenant's copy of a platform membership."""
    member = session.scalars(select(Member).where(Member.user_id == user_id)).one_or_none()
    if member is None:
        member = Member(user_id=user_id, display_name=display_name, role=role, organisation=organisation)
        session.add(member)
        session.flush()
        record(session, "member.joined", member_id=member.id, role=role)
    elif (member.display_name, member.role, member.organisation) != (display_name, role, organisation):
        old_role = member.role
        member.display_name, member.role, member.organisation = display_name, role, organisation
        session.flush()
        if old_role != role:
            record(session, "member.role_changed", member_id=member.id, old=old_role, new=role)
    return member
