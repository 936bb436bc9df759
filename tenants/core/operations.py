"""Actions on a tenant's own core tables. They flush; the caller's unit of work commits."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from wijknet.platform.db import locked

from .models import Member, TenantAuditEntry


def record(session: Session, action: str, *, actor_member_id: int | None = None, **detail) -> None:
    session.add(TenantAuditEntry(action=action, actor_member_id=actor_member_id, detail=detail))


def sync_member(session: Session, *, user_id: int, display_name: str, role: str, organisation: str | None = None) -> Member:
    """Make the tenant's copy of a platform membership match it (create, update, rejoin)."""
    # Insert-or-nothing, not read-then-insert: two syncs of one membership at once (a join
    # submitted twice) both reached the insert, and the second ended in a 500.
    created = session.execute(
        pg_insert(Member)
        .values(user_id=user_id, display_name=display_name, role=role, organisation=organisation)
        .on_conflict_do_nothing(index_elements=["user_id"])
        .returning(Member.id)
    ).scalar()
    if created is not None:
        record(session, "member.joined", member_id=created, role=role)
        return session.get(Member, created)
    member = session.scalars(locked(select(Member).where(Member.user_id == user_id))).one()
    if member.left_at is not None:
        member.left_at = None
        record(session, "member.rejoined", member_id=member.id, role=role)
    if (member.display_name, member.role, member.organisation) != (display_name, role, organisation):
        old_role = member.role
        member.display_name, member.role, member.organisation = display_name, role, organisation
        if old_role != role:
            record(session, "member.role_changed", member_id=member.id, old=old_role, new=role)
    session.flush()
    return member


def mark_left(session: Session, *, user_id: int) -> Member | None:
    """The platform membership ended: the row stays (authorship), marked as left."""
    member = session.scalars(select(Member).where(Member.user_id == user_id)).one_or_none()
    if member is not None and member.left_at is None:
        member.left_at = datetime.now(timezone.utc)
        session.flush()
        record(session, "member.left", member_id=member.id)
    return member
