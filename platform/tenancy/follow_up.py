"""What a platform change must also write in a living lab's own schema, written after the
platform commits: a membership's copy in the lab's `members`, and entries in the lab's
audit log (a module switched on, its settings changed).

A request commits one store (tenancy/routing.finish_request), so such a change is made in
two steps. `follow_up(session, kind, tenant_id, ...)` records it with the platform change:
a job is deferred in the same platform transaction, and once that transaction commits the
same work runs at once in this process. If the process dies in between, the job does it;
if the platform transaction rolls back, the job goes with it and the lab is never touched.
Every kind is idempotent (it copies the platform's state, or writes under a unique key),
so running twice, late, or out of order ends in the same place.
"""

from __future__ import annotations

import logging
import secrets

from procrastinate import JobContext
from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from wijknet.tenants.core.models import Member, TenantAuditEntry
from wijknet.tenants.core.operations import mark_left, sync_member

from ..identity.models import Membership, User
from ..jobs import app as jobs_app
from ..jobs import defer_in
from .lookups import tenant_ref
from .models import Tenant
from .uow import SERVABLE, TenantGone, tenant_unit_of_work

log = logging.getLogger(__name__)
QUEUE = "follow-up"
_PENDING = "tenant_follow_ups"


def apply_membership(engine: Engine, tenant_id: int, *, user_id: int) -> str:
    """Copy the platform's membership of `user_id` in `tenant_id` into the lab."""
    with Session(engine) as session:
        membership = session.scalars(
            select(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
        ).one_or_none()
        user = session.get(User, user_id)

    def work(lab: Session) -> str:
        if membership is None or user is None:
            mark_left(lab, user_id=user_id)
            return "left"
        sync_member(lab, user_id=user_id, display_name=user.name, role=membership.role, organisation=membership.organisation)
        return "synced"

    return in_tenant(engine, tenant_id, work)


def write_audit(engine: Engine, tenant_id: int, *, ref: str, action: str, actor_user_id: int | None, detail: dict) -> str:
    """An entry in the lab's audit log, once (its `ref` is unique)."""

    def work(lab: Session) -> str:
        actor = lab.scalar(select(Member.id).where(Member.user_id == actor_user_id)) if actor_user_id else None
        lab.execute(
            pg_insert(TenantAuditEntry)
            .values(ref=ref, action=action, actor_member_id=actor, detail=detail)
            .on_conflict_do_nothing(index_elements=["ref"])
        )
        return "written"

    return in_tenant(engine, tenant_id, work)


KINDS = {"membership": apply_membership, "audit": write_audit}


def in_tenant(engine: Engine, tenant_id: int, work) -> str:
    with Session(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.status not in SERVABLE:
            return "no tenant"
        ref = tenant_ref(tenant, ())
    try:
        with tenant_unit_of_work(engine, ref, system=True) as lab:
            return work(lab)
    except TenantGone:
        return "no tenant"


def follow_up(session: Session, kind: str, tenant_id: int, **payload) -> None:
    """Have `kind` done in `tenant_id` once `session` (the platform's) commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown follow-up {kind!r}")
    lock = f"{kind}-{tenant_id}-{payload.get('user_id', '')}"
    defer_in(session, run_follow_up, queue=QUEUE, lock=lock, kind=kind, tenant_id=tenant_id, payload=payload)
    session.info["wrote"] = True  # the job row is a write: the request must commit it
    if not session.info.get("follow_up_listening"):
        session.info["follow_up_listening"] = True
        event.listen(session, "after_commit", _run_pending)
        event.listen(session, "after_soft_rollback", _forget_pending)
    session.info.setdefault(_PENDING, []).append((kind, tenant_id, payload))


def sync_after_commit(session: Session, tenant_id: int, user_id: int) -> None:
    follow_up(session, "membership", tenant_id, user_id=user_id)


def audit_after_commit(session: Session, tenant_id: int, action: str, *, actor_user_id: int | None, **detail) -> None:
    follow_up(session, "audit", tenant_id, ref=secrets.token_hex(12), action=action, actor_user_id=actor_user_id, detail=detail)


def _run_pending(session: Session) -> None:
    engine = session.get_bind()
    for kind, tenant_id, payload in session.info.pop(_PENDING, []):
        try:
            KINDS[kind](engine, tenant_id, **payload)
        except Exception:  # noqa: BLE001 - the platform change stands; the job finishes it
            log.exception("follow-up %s in tenant %s not done yet; its job will", kind, tenant_id)


def _forget_pending(session: Session, previous_transaction) -> None:
    # A savepoint's rollback keeps them: doing an idempotent follow-up for nothing is harmless.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


@jobs_app.task(name="wijknet.follow_up", queue=QUEUE, pass_context=True)
def run_follow_up(context: JobContext, *, kind: str, tenant_id: int, payload: dict) -> None:
    KINDS[kind](context.additional_context["engine"], tenant_id, **payload)


@jobs_app.task(name="wijknet.sync_membership", queue="members", pass_context=True)
def sync_membership(context: JobContext, *, tenant_id: int, user_id: int) -> None:
    """Jobs queued by an earlier release (before follow-ups): done the same way."""
    apply_membership(context.additional_context["engine"], tenant_id, user_id=user_id)
