"""One action: a member waves (an audit record is the wave)."""

from sqlalchemy import select
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
