"""Issue 18, item 4: the tenant switch costs no round trip of its own (it travels in one
message with BEGIN and the transaction's first statement) and no request pays a ping. Counted on the wire with libpq's own protocol trace: every simple Query message and
every Sync (the end of an extended-protocol statement) is one round trip."""

import os
import tempfile
import time

import psycopg.pq
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from wijknet.platform.db import make_engine
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.uow import TenantGone, TenantSession, tenant_unit_of_work
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy


def _round_trips(engine, work) -> tuple[int, list[str]]:
    """Run `work()` on the engine's one pooled connection with libpq tracing on; return the
    round trips it took and the traced messages the client sent."""
    with engine.connect() as conn:  # make sure the pool holds the connection to trace
        pgconn = conn.connection.dbapi_connection.pgconn
    fd, path = tempfile.mkstemp(prefix="wijknet-trace-")
    try:
        pgconn.trace(fd)
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)
        work()
        pgconn.untrace()
        with open(path) as fh:
            sent = [line.strip() for line in fh if line.split("\t")[0] == "F"]
    finally:
        os.close(fd)
        os.unlink(path)
    trips = sum(1 for line in sent if line.split("\t")[2].split(" ")[0] in ("Query", "Sync"))
    return trips, sent


@pytest.fixture
def one_connection(database_url):
    engine = make_engine(database_url, pool_size=1)
    yield engine
    engine.dispose()


def test_a_tenant_transaction_with_one_query_takes_two_round_trips(one_connection, make_tenant):
    tenant = make_tenant()

    def work():
        with tenant_unit_of_work(one_connection, tenant) as session:
            assert session.scalar(select(func.count()).select_from(Member)) == 0

    trips, sent = _round_trips(one_connection, work)
    # BEGIN with the switch and the query, COMMIT. Before issue 18: BEGIN, the switch, the
    # query, COMMIT, and the pool's ping before them all (5).
    assert trips == 2, sent
    assert f"BEGIN; SELECT true FROM platform.enter_tenant({tenant.id}, " in sent[0]
    assert "entered WHERE entered; SELECT count(*) AS count_1" in sent[0], sent[0]


def test_a_switch_asked_for_directly_brings_its_begin_in_one_round_trip(one_connection, make_tenant):
    """switch_to_tenant on a connection that sent nothing yet (not a tenant session's: no
    statement to wait for) sends BEGIN and the switch together, not psycopg's BEGIN first."""
    from wijknet.platform.tenancy.uow import switch_to_tenant

    tenant = make_tenant()

    def work():
        with one_connection.connect() as conn:
            switch_to_tenant(conn, tenant)
            conn.commit()

    trips, sent = _round_trips(one_connection, work)
    assert trips == 2, sent  # BEGIN with the switch; COMMIT
    assert sent[0].split("\t")[3].strip().startswith('"BEGIN; SELECT true FROM platform.enter_tenant('), sent[0]


def test_the_connection_goes_back_with_transactions_on(one_connection, make_tenant):
    """The switch's BEGIN runs the driver in autocommit for that one transaction: the next
    user of the connection (here the platform) must get real transactions again."""
    tenant = make_tenant()
    with tenant_unit_of_work(one_connection, tenant) as session:
        session.execute(select(Member.id)).all()
    slug = tenant.slug
    with pytest.raises(RuntimeError), Session(one_connection) as platform, platform.begin():
        platform.execute(text("UPDATE platform.tenants SET name = 'Half written' WHERE slug = :s"), {"s": slug})
        raise RuntimeError("the platform's transaction fails after its first statement")
    with Session(one_connection) as platform:
        assert platform.scalar(select(Tenant.name).where(Tenant.slug == slug)) != "Half written"
    with one_connection.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False


@pytest.mark.parametrize("sent", [True, False], ids=["after a statement", "before any statement"])
def test_a_kept_connection_has_transactions_again_after_a_tenant_transaction(one_connection, make_tenant, sent):
    """The switch runs the driver in autocommit for its own transaction; on a connection its
    holder keeps, the next (platform) transaction must be whole again: a failure undoes
    its writes."""
    tenant = make_tenant()
    with one_connection.connect() as conn:
        with TenantSession(conn, tenant) as session:
            if sent:
                session.execute(select(Member.id)).all()
            else:
                session.connection()
            session.commit()
        with pytest.raises(RuntimeError), Session(conn) as platform:
            platform.execute(text("UPDATE platform.tenants SET name = 'Half written' WHERE id = :i"), {"i": tenant.id})
            raise RuntimeError("the platform's transaction fails after its first statement")
        conn.rollback()
        assert conn.scalar(select(Tenant.name).where(Tenant.id == tenant.id)) != "Half written"
        with TenantSession(conn, tenant) as session:  # and the next tenant transaction still switches in one
            assert session.scalar(text("SELECT current_user")) == tenant.role_name


def test_a_failed_tenant_transaction_is_rolled_back_and_the_switch_ends_with_it(one_connection, make_tenant):
    tenant = make_tenant()
    with pytest.raises(RuntimeError), tenant_unit_of_work(one_connection, tenant) as session:
        session.add(Member(user_id=424242, display_name="Niet bewaard"))
        session.flush()
        raise RuntimeError("fails after a write")
    with tenant_unit_of_work(one_connection, tenant) as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 0
    with one_connection.connect() as conn:  # back as the application role, outside any schema
        assert conn.execute(text("SELECT current_user = session_user, current_setting('search_path')")).one()[0]


def test_a_gone_tenant_is_still_refused_in_the_one_round_trip(one_connection, make_tenant):
    tenant = make_tenant()
    gone = tenant.__class__(**{**tenant.__dict__, "id": 987654321})
    with pytest.raises(TenantGone), tenant_unit_of_work(one_connection, gone) as session:
        session.execute(select(Member.id)).all()
    with tenant_unit_of_work(one_connection, tenant) as session:  # the connection is fine after it
        assert session.execute(select(Member.id)).all() == []


def test_a_connection_killed_while_idle_is_replaced_without_a_ping(one_connection, make_tenant):
    tenant = make_tenant()
    with tenant_unit_of_work(one_connection, tenant) as session:
        first = session.scalar(text("SELECT pg_backend_pid()"))
    with psycopg.connect(one_connection.url.set(drivername="postgresql").render_as_string(hide_password=False)) as other:
        other.execute("SELECT pg_terminate_backend(%s::int)", (first,))
        for _ in range(100):  # until the backend is gone
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (first,)).fetchone():
                break
            time.sleep(0.02)
    with tenant_unit_of_work(one_connection, tenant) as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) != first


def test_a_connection_that_dies_under_the_switch_is_sqlalchemys_error_and_replaced(one_connection, make_tenant):
    """The switch goes out on the driver's cursor, past SQLAlchemy: its errors must still
    be SQLAlchemy's (the request answers 503, not 500) and a dead connection invalidated."""
    from sqlalchemy.exc import DBAPIError

    from wijknet.platform.tenancy.uow import switch_to_tenant

    tenant = make_tenant()
    conn = one_connection.connect()
    pid = conn.connection.dbapi_connection.info.backend_pid
    with psycopg.connect(one_connection.url.set(drivername="postgresql").render_as_string(hide_password=False)) as other:
        other.execute("SELECT pg_terminate_backend(%s::int)", (pid,))
        for _ in range(100):
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                break
            time.sleep(0.02)
    with pytest.raises(DBAPIError) as raised:
        switch_to_tenant(conn, tenant)
    assert raised.value.connection_invalidated and conn.invalidated
    conn.close()
    with tenant_unit_of_work(one_connection, tenant) as session:  # the pool has a new one
        assert session.scalar(text("SELECT pg_backend_pid()")) != pid


@pytest.mark.parametrize("already_open", [False, True], ids=["with BEGIN", "in an open transaction"])
def test_the_switch_bounds_citus_connections_on_citus_only(engine, make_tenant, already_open):
    """On a Citus coordinator the switch also keeps Citus from caching worker connections for
    the tenant's role (citus.max_cached_conns_per_worker = 0 for the transaction,
    docs/scale-out.md); on a plain server it sends nothing of Citus."""
    from wijknet.platform.tenancy.citus import is_citus
    from wijknet.platform.tenancy.uow import switch_to_tenant

    expected = "0" if is_citus(engine) else None
    lab = make_tenant()
    with engine.connect() as conn, conn.begin():
        if already_open:
            conn.execute(text("SELECT 1"))  # the switch then goes the plain way, as its own statement
        switch_to_tenant(conn, lab)
        assert conn.execute(text("SELECT current_setting('citus.max_cached_conns_per_worker', true)")).scalar() == expected
        assert conn.execute(text("SELECT current_user")).scalar() == lab.role_name


def test_an_api_token_is_read_in_one_round_trip_and_the_next_transaction_is_whole(one_connection, make_tenant, make_member):
    """Issue 18, item 5: the request's first platform read (token, holder, membership) goes
    alone, without psycopg's BEGIN before it and a COMMIT after it; what the platform
    session does next is an ordinary transaction again."""
    from wijknet.platform.identity.models import User
    from wijknet.platform.identity.tokens import authenticate_with_membership, create_token

    tenant = make_tenant()
    user_id = make_member(tenant, "admin")
    with Session(one_connection) as session, session.begin():
        _token, plaintext = create_token(session, tenant_id=tenant.id, user=session.get(User, user_id), name="rt")
    with Session(one_connection) as session:  # the last-used stamp is written once; this read is the measured one
        authenticate_with_membership(one_connection, session, plaintext)
    found = {}

    def work():
        with Session(one_connection, expire_on_commit=False) as platform:  # as the request's platform session
            found["it"] = authenticate_with_membership(one_connection, platform, plaintext)

    trips, sent = _round_trips(one_connection, work)
    assert trips == 1, sent
    token, user, membership = found["it"]
    assert (token.tenant_id, user.id, membership.role) == (tenant.id, user_id, "admin")
    with pytest.raises(RuntimeError), Session(one_connection, expire_on_commit=False) as platform:
        authenticate_with_membership(one_connection, platform, plaintext)
        with platform.begin():
            platform.execute(text("UPDATE platform.tenants SET name = 'Half written' WHERE id = :i"), {"i": tenant.id})
            raise RuntimeError("the platform's transaction fails after its first statement")
    with Session(one_connection) as platform:
        assert platform.scalar(select(Tenant.name).where(Tenant.id == tenant.id)) != "Half written"
    with one_connection.connect() as conn:  # a session that keeps its connection after the read
        with pytest.raises(RuntimeError), Session(conn, expire_on_commit=False) as platform:
            authenticate_with_membership(one_connection, platform, plaintext)
            with platform.begin():
                platform.execute(text("UPDATE platform.tenants SET name = 'Half written' WHERE id = :i"), {"i": tenant.id})
                raise RuntimeError("the platform's transaction fails after its first statement")
        assert conn.scalar(select(Tenant.name).where(Tenant.id == tenant.id)) != "Half written"


def test_a_page_and_its_total_take_one_query(one_connection, make_tenant, make_member):
    from wijknet.platform.paging import page_with_total

    tenant = make_tenant()
    for _ in range(5):
        make_member(tenant)
    pages = {}

    def work():
        with tenant_unit_of_work(one_connection, tenant) as session:
            members, total = page_with_total(session, select(Member).order_by(Member.id), first=2, size=2)
            pages["second"] = ([m.id for m in members], total, all(isinstance(m, Member) for m in members))

    trips, sent = _round_trips(one_connection, work)
    assert trips == 2, sent  # BEGIN, the switch and the page with its total; COMMIT
    second, total, entities = pages["second"]
    assert total == 5 and entities
    with tenant_unit_of_work(one_connection, tenant) as session:
        assert second == session.scalars(select(Member.id).order_by(Member.id)).all()[2:4]
        assert page_with_total(session, select(Member).order_by(Member.id), first=4, size=2)[1] == 5
        assert page_with_total(session, select(Member).order_by(Member.id), first=10, size=2) == ([], 5)  # past the end
        assert page_with_total(session, select(Member).where(Member.role == "admin"), first=0, size=2) == ([], 0)


def test_the_switch_text_is_made_once_per_tenant_and_state():
    """The switch's bytes are cached (psycopg's quoting cost more than the rest of the
    switch on the client); every value that changes the switch is part of the key."""
    from wijknet.platform.tenancy.uow import SERVABLE, _switch_with_begin

    first = _switch_with_begin(False, 7, False, SERVABLE, 14)
    assert _switch_with_begin(False, 7, False, SERVABLE, 14) is first
    assert first == b"BEGIN; SELECT true FROM platform.enter_tenant(7, false, '{active,suspended}', 14) AS entered WHERE entered"
    variants = {
        first,
        _switch_with_begin(True, 7, False, SERVABLE, 14),  # Citus
        _switch_with_begin(False, 8, False, SERVABLE, 14),  # another lab
        _switch_with_begin(False, 7, True, SERVABLE, 14),  # the platform's upkeep: writable while suspended
        _switch_with_begin(False, 7, False, ("provisioning",), 14),  # while being made
        _switch_with_begin(False, 7, False, SERVABLE, 30),  # another grace period
    }
    assert len(variants) == 6
    assert b"citus.max_cached_conns_per_worker" in _switch_with_begin(True, 7, False, SERVABLE, 14)
    assert b"enter_tenant(7, true, " in _switch_with_begin(False, 7, True, SERVABLE, 14)


@pytest.mark.parametrize("level", ["AUTOCOMMIT", "REPEATABLE READ", "SERIALIZABLE"])
def test_a_connection_once_used_with_an_isolation_level_still_switches_with_begin(one_connection, make_tenant, level):
    """An export reads in REPEATABLE READ, a Citus look-up in AUTOCOMMIT: afterwards the
    pooled connection must take the one-round-trip switch again (it kept SQLAlchemy's
    explicit READ COMMITTED and paid a round trip more per tenant transaction, found by
    running the query-count test after the staff console's)."""
    tenant = make_tenant()
    with one_connection.connect().execution_options(isolation_level=level) as conn:
        conn.execute(text("SELECT 1"))

    def work():
        with tenant_unit_of_work(one_connection, tenant) as session:
            session.scalar(select(func.count()).select_from(Member))

    trips, sent = _round_trips(one_connection, work)
    assert trips == 2, sent
    with one_connection.connect() as conn:  # and the level asked once is not kept
        assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
