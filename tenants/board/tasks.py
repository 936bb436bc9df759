"""The board's background jobs. A saved post is read for matching (`index_one`, deferred in
the transaction that saves it; indexing.index_post). Every hour `notify_all` queues one `notify_one` job per
active tenant with the board on; that job sends the tenant's due reminders and digests
(notifications.notify_tenant). `wijknet board notify` runs the same `run_for_tenant`."""

from __future__ import annotations

from flask import Flask
from procrastinate import JobContext
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import Membership, User
from wijknet.platform.jobs import app, defer_in
from wijknet.platform.modules import get_module
from wijknet.platform.tenancy.lookups import tenant_ref, tenants_with_module
from wijknet.platform.tenancy.models import ModuleSetting, Tenant
from wijknet.platform.tenancy.uow import SERVABLE, TenantGone, tenant_unit_of_work

from .indexing import index_post
from .notifications import NotifyResult, email_notice, notify_tenant

QUEUE = "board"


def board_tenant_ids(session: Session) -> list[int]:
    """Active tenants with the board switched on (a switched-off board is skipped)."""
    return tenants_with_module(session, "board")


def _board_tenant(engine: Engine, tenant_id: int):
    """(tenant, board settings, {user id: email}) for an active tenant with the board on, else
    None. The tenant role cannot read the platform's users: the addresses are looked up here."""
    with Session(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        board = session.get(ModuleSetting, (tenant_id, "board"))
        if tenant is None or tenant.status != "active" or board is None or not board.enabled:
            return None
        settings = get_module("board").settings_from(board.settings)
        query = (
            select(User.id, User.email).join(Membership, Membership.user_id == User.id).where(Membership.tenant_id == tenant_id)
        )
        addresses = dict(session.execute(query).all())
        return tenant_ref(tenant, modules=("board",)), settings, addresses


def run_for_tenant(engine: Engine, flask_app: Flask, tenant_id: int) -> NotifyResult:
    """Send what is due in one tenant; nothing when it is no longer active or has no board."""
    found = _board_tenant(engine, tenant_id)
    if found is None:
        return NotifyResult()
    ref, settings, addresses = found
    public_url = flask_app.extensions["wijknet"].settings.public_url
    # A request context gives the templates their language and url_for its host.
    with flask_app.test_request_context(base_url=public_url), tenant_unit_of_work(engine, ref) as session:
        return notify_tenant(session, ref, addresses, settings["reminder_days"])


@app.task(name="wijknet.board.email_notice", queue=QUEUE, pass_context=True)
def email_notice_job(context: JobContext, *, tenant_id: int, notice_id: int) -> None:
    extra = context.additional_context
    email_one_notice(extra["engine"], extra["flask_app"], tenant_id, notice_id)


def email_one_notice(engine: Engine, flask_app: Flask, tenant_id: int, notice_id: int) -> bool:
    found = _board_tenant(engine, tenant_id)
    if found is None:
        return False
    ref, _settings, addresses = found
    public_url = flask_app.extensions["wijknet"].settings.public_url
    try:
        with flask_app.test_request_context(base_url=public_url), tenant_unit_of_work(engine, ref) as session:
            return email_notice(session, ref, notice_id, addresses)
    except TenantGone:
        return False


def queue_notice_email(session: Session, notice_id: int) -> None:
    """Have the notice emailed (if its member wants that) once the caller's transaction commits."""
    tenant = session.info["tenant"]
    defer_in(session, email_notice_job, queue=QUEUE, tenant_id=tenant.id, notice_id=notice_id)


@app.periodic(cron="5 * * * *")
@app.task(name="wijknet.board.notify_all", queue=QUEUE, pass_context=True)
def notify_all(context: JobContext, timestamp: int) -> None:
    engine = context.additional_context["engine"]
    with Session(engine) as session, session.begin():
        for tenant_id in board_tenant_ids(session):
            defer_in(session, notify_one, queue=QUEUE, lock=f"board-notify-{tenant_id}", tenant_id=tenant_id)


@app.task(name="wijknet.board.notify_one", queue=QUEUE, pass_context=True)
def notify_one(context: JobContext, *, tenant_id: int) -> None:
    extra = context.additional_context
    run_for_tenant(extra["engine"], extra["flask_app"], tenant_id)


@app.task(name="wijknet.board.index_one", queue=QUEUE, pass_context=True)
def index_one(context: JobContext, *, tenant_id: int, post_id: int) -> None:
    """Read one post for matching. One lab's posts are read one at a time (the job lock), so
    two posts saved together each see the other's stored reading or none, never half."""
    engine = context.additional_context["engine"]
    index_in_tenant(engine, tenant_id, post_id)


def index_in_tenant(engine: Engine, tenant_id: int, post_id: int) -> int:
    with Session(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.status not in SERVABLE:
            return 0
        ref = tenant_ref(tenant, modules=("board",))
    try:
        with tenant_unit_of_work(engine, ref, system=True) as session:
            return index_post(session, post_id)
    except TenantGone:
        return 0


def queue_indexing(session: Session, post_id: int) -> None:
    """Have `post_id` read for matching once the caller's transaction commits."""
    tenant = session.info["tenant"]
    defer_in(session, index_one, queue=QUEUE, lock=f"board-index-{tenant.id}", tenant_id=tenant.id, post_id=post_id)
