"""How a request's database work begins and ends (tenancy/routing.py): a refused request
commits nothing it wrote, a request never commits writes to both the platform and a lab,
and the lab's connection is tried once more only when it was found dead — any other
database error is not retried (issue 19: survivors of routing.py)."""

import psycopg
import pytest
from flask import Blueprint, g, has_request_context
from sqlalchemy import event, func, select

from wijknet.platform.app import create_app
from wijknet.platform.tenancy.models import StaffAuditEntry
from wijknet.platform.tenancy.routing import bind_tenant, platform_db, tenant_db
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.core.access import PUBLIC, access
from wijknet.tenants.core.models import TenantAuditEntry

pytestmark = pytest.mark.tenancy


@pytest.fixture
def probe_app(environ, engine):
    """The app with probe views under /t/<slug>/probe that write and answer as told."""
    app = create_app(environ, engine=engine)
    probe = bind_tenant(Blueprint("probe", __name__, url_prefix="/t/<slug>/probe"))

    @probe.get("/lab/<int:status>")
    @access(PUBLIC)
    def write_the_lab(status):
        tenant_db().add(TenantAuditEntry(action="probe.written"))
        tenant_db().flush()
        return "written", status

    @probe.get("/both")
    @access(PUBLIC)
    def write_both():
        platform_db().add(StaffAuditEntry(actor="probe", action="probe.written"))
        platform_db().flush()
        tenant_db().add(TenantAuditEntry(action="probe.written"))
        tenant_db().flush()
        return "written"

    @probe.get("/read")
    @access(PUBLIC)
    def read():
        tenant_db().scalar(select(func.count()).select_from(TenantAuditEntry))
        return "read"

    app.register_blueprint(probe)
    return app


def _written(engine, lab) -> tuple[int, int]:
    """Probe entries in the lab and in the platform."""
    with tenant_unit_of_work(engine, lab) as session:
        in_lab = session.scalar(select(func.count()).where(TenantAuditEntry.action == "probe.written"))
    with engine.connect() as conn:
        in_platform = conn.scalar(select(func.count()).where(StaffAuditEntry.action == "probe.written"))
    return in_lab, in_platform


@pytest.mark.parametrize(("status", "kept"), [(200, 1), (399, 1), (400, 0), (404, 0), (409, 0)])
def test_what_a_request_wrote_is_kept_only_when_it_succeeds(probe_app, engine, make_tenant, status, kept):
    lab = make_tenant()
    assert probe_app.test_client().get(f"/t/{lab.slug}/probe/lab/{status}").status_code == status
    assert _written(engine, lab) == (kept, 0)


@pytest.mark.parametrize(("path", "ends_with"), [("read", "commit"), ("lab/200", "commit"), ("lab/409", "rollback")])
def test_the_labs_transaction_ends_with_commit_when_the_request_succeeds(probe_app, engine, make_tenant, path, ends_with):
    """Also a request that only read: psycopg forgets the connection's prepared statements
    at a rollback, so a reader rolled back would have every statement planned anew."""
    lab = make_tenant()
    client = probe_app.test_client()
    client.get(f"/t/{lab.slug}/probe/read")  # the lab's directory entry is cached from here on
    ends = []
    listeners = [(name, lambda _conn, name=name: ends.append(name)) for name in ("commit", "rollback")]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        client.get(f"/t/{lab.slug}/probe/{path}")
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    assert ends[-1] == ends_with
    assert engine.pool.checkedout() == 0


def test_a_request_that_writes_to_the_platform_and_a_lab_commits_neither(probe_app, engine, make_tenant):
    lab = make_tenant()
    with pytest.raises(RuntimeError, match="wrote to the platform and a tenant in one request"):
        probe_app.test_client().get(f"/t/{lab.slug}/probe/both")
    assert _written(engine, lab) == (0, 0)


def _kill(dbapi_connection):
    pid = dbapi_connection.info.backend_pid
    with psycopg.connect(dbapi_connection.info.dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        while other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            pass


def _break_the_labs_connection(engine, breaking, times=1):
    """Calls `breaking(dbapi_connection)` on the first `times` connections the pool hands out for
    the lab's unit of work (once the request knows its lab; the directory's lookup comes
    before), after the pool's own dead-connection check, so that check cannot see it.
    Returns the backend pids of the lab's checkouts, and the function that stops it."""
    checkouts = []

    def on_checkout(dbapi_connection, _record, _proxy):
        if has_request_context() and g.get("tenant") is not None:
            checkouts.append(dbapi_connection.info.backend_pid)
            if len(checkouts) <= times:
                breaking(dbapi_connection)

    event.listen(engine, "checkout", on_checkout)
    return checkouts, lambda: event.remove(engine, "checkout", on_checkout)


def test_a_lab_connection_found_dead_at_the_switch_is_replaced_and_the_request_served(probe_app, engine, make_tenant):
    lab = make_tenant()
    client = probe_app.test_client()
    checkouts, stop = _break_the_labs_connection(engine, lambda _connection: None)
    try:
        assert client.get(f"/t/{lab.slug}/probe/read").data == b"read"
    finally:
        stop()
    assert len(checkouts) == 1  # a healthy connection: one checkout for the lab, no second try

    checkouts, stop = _break_the_labs_connection(engine, _kill)
    try:
        answer = client.get(f"/t/{lab.slug}/probe/read")
    finally:
        stop()
    assert (answer.status_code, answer.data) == (200, b"read")
    assert len(checkouts) == 2 and checkouts[0] != checkouts[1]  # the dead one, then a new one


def test_a_second_dead_connection_in_a_row_is_a_503_after_two_tries(probe_app, engine, make_tenant):
    lab = make_tenant()
    client = probe_app.test_client()
    assert client.get(f"/t/{lab.slug}/probe/read").data == b"read"
    checkouts, stop = _break_the_labs_connection(engine, _kill, times=2)
    try:
        answer = client.get(f"/t/{lab.slug}/probe/read")
    finally:
        stop()
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert len(checkouts) == 2


def test_a_database_error_at_the_switch_that_is_not_a_dead_connection_is_not_retried(probe_app, engine, make_tenant):
    lab = make_tenant()
    client = probe_app.test_client()
    assert client.get(f"/t/{lab.slug}/probe/read").data == b"read"

    def refuse_read_write(dbapi_connection):
        # The switch sets the transaction's read-only flag after its first query began:
        # PostgreSQL refuses that when the session's transactions start read-only.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")
        dbapi_connection.commit()

    checkouts, stop = _break_the_labs_connection(engine, refuse_read_write)
    try:
        answer = client.get(f"/t/{lab.slug}/probe/read")
    finally:
        stop()
        engine.dispose()  # no pooled connection keeps the setting
    assert answer.status_code == 500  # a fault of ours, not a database gone away: not retried, not a 503
    assert len(checkouts) == 1
