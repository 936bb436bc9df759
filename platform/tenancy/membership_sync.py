"""A membership reaches the living lab's own `members` table after the platform commits.

The platform membership is the truth (it is what gives access; tenants/core/access.py
checks it on every request). `add_member` and `remove_member` change it and call
`sync_after_commit`: once that platform transaction commits, the lab's copy is made to
match in the lab's own unit of work. A repair job deferred in the same platform
transaction does the same again later, so a process that dies between the two commits
leaves nothing half done; a platform transaction that rolls back takes the job with it and
never touches the lab. Both read the platform's state and copy it: running them twice, or
late, or out of order, ends in the same place.
"""
from __future__ import annotations

import logging

from procrastinate import JobContext
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from wijknet.tenants.core.operations import mark_left, sync_member

from ..identity.models import Membership, User
from ..jobs import app as jobs_app, defer_in
from .lookups import tenant_ref
from .models import Tenant
from .uow import SERVABLE, TenantGone, tenant_unit_of_work

log = logging.getLogger(__name__)
QUEUE = "members"
_PENDING = "membership_syncs"


def apply_membership(engine: Engine, tenant_id: int, user_id: int) -> str:
    """Copy the platform's membership of `user_id` in `tenant_id` into the lab. Idempotent."""
    with Session(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.status not in SERVABLE:
            return "no tenant"
        membership = session.scalars(
            select(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
        ).one_or_none()
        user = session.get(User, user_id)
        ref = tenant_ref(tenant, ())
    try:
        with tenant_unit_of_work(engine, ref, system=True) as lab:
            if membership is None or user is None:
                mark_left(lab, user_id=user_id)
                return "left"
            sync_member(lab, user_id=user_id, display_name=user.name, role=membership.role,
                        organisation=membership.organisation)
            return "synced"
    except TenantGone:
        return "no tenant"


def sync_after_commit(session: Session, tenant_id: int, user_id: int) -> None:
    """Bring the lab's copy in line once `session` commits, and defer the repair job."""
    defer_in(session, sync_membership, queue=QUEUE, lock=f"member-{tenant_id}-{user_id}", tenant_id=tenant_id, user_id=user_id)
    if not session.info.get("membership_sync_listening"):
        session.info["membership_sync_listening"] = True
        event.listen(session, "after_commit", _apply_pending)
        event.listen(session, "after_soft_rollback", _forget_pending)
    session.info.setdefault(_PENDING, set()).add((tenant_id, user_id))


def _apply_pending(session: Session) -> None:
    engine = session.get_bind()
    for tenant_id, user_id in sorted(session.info.pop(_PENDING, set())):
        try:
            apply_membership(engine, tenant_id, user_id)
        except Exception:  # noqa: BLE001 - the platform change stands; the repair job finishes it
            log.exception("membership of user %s in tenant %s not copied yet; the repair job will", user_id, tenant_id)


def _forget_pending(session: Session, previous_transaction) -> None:
    # A savepoint's rollback keeps them: copying a membership that did not change is harmless.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


@jobs_app.task(name="wijknet.sync_membership", queue=QUEUE, pass_context=True)
def sync_membership(context: JobContext, *, tenant_id: int, user_id: int) -> None:
    apply_membership(context.additional_context["engine"], tenant_id, user_id)
