"""One action: a member waves (an audit record is the wave)."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.tenants.core.models import Member, TenantAuditEntry
from wijknet.tenants.core.operations import record


def wave(session: Session, member: Member) -> None:
    record(session, "hello.waved", actor_member_id=member.id)
    session.flush()


def waves(session: Session, limit: int) -> list[tuple[str, object]]:
    return session.execute(
        select(Member.display_name, TenantAuditEntry.at)
        .join(Member, Member.id == TenantAuditEntry.actor_member_id)
        .where(TenantAuditEntry.action == "hello.waved")
        .order_by(TenantAuditEntry.id.desc())
        .limit(limit)
    ).all()


def copy_starter(model: Session, new: Session) -> int:
    """The starter kit hook: the new lab starts with a note of how many waves its model had."""
    count = model.scalar(select(func.count()).select_from(TenantAuditEntry).where(TenantAuditEntry.action == "hello.waved"))
    record(new, "hello.kit_copied", waves=count)
    return count
