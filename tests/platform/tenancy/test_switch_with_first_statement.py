"""The tenant switch travels with the transaction's first statement (tenancy/uow.py,
SwitchingCursor): whatever reaches the driver first runs after the switch, nothing runs
after a refused one, and a transaction that sent nothing leaves no switch behind."""

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from wijknet.platform.db import make_engine
from wijknet.platform.tenancy.uow import TenantGone, TenantSession, tenant_unit_of_work
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy


@pytest.fixture
def one_connection(database_url):
    engine = make_engine(database_url, pool_size=1)
    yield engine
    engine.dispose()


def _sequence_value(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT last_value FROM platform.tenants_id_seq")).scalar()


def test_nothing_after_a_refused_switch_runs(one_connection, make_tenant):
    """A lab that is gone: the statement sent with its switch must not run at all, not even
    to be rolled back. A sequence does not roll back, and as the application the statement
    would be allowed: the counter shows whether it ran."""
    tenant = make_tenant()
    gone = tenant.__class__(**{**tenant.__dict__, "id": 987654321})
    before = _sequence_value(one_connection)
    with pytest.raises(TenantGone), tenant_unit_of_work(one_connection, gone) as session:
        session.execute(text("SELECT nextval('platform.tenants_id_seq')"))
    assert _sequence_value(one_connection) == before
    with tenant_unit_of_work(one_connection, tenant) as session:  # the connection serves the next lab
        assert session.scalar(text("SELECT current_user")) == tenant.role_name


def _as_driver(session: Session):
    return session.connection().connection.dbapi_connection


def _execute(dbapi):
    with dbapi.cursor() as cursor:
        return cursor.execute("SELECT current_user").fetchone()[0]


def _execute_with_values(dbapi):
    with dbapi.cursor() as cursor:
        return cursor.execute("SELECT current_user, %s::int, %s", (7, "50%")).fetchone()[0]


def _binary(dbapi):
    with dbapi.cursor() as cursor:
        cursor.execute("SELECT current_user", binary=True)
        assert cursor.pgresult.fformat(0) == 1  # the answer in binary, as asked
        return cursor.fetchone()[0]


def _executemany(dbapi):
    with dbapi.cursor() as cursor:  # unqualified: only the lab's search_path finds the table
        cursor.executemany("INSERT INTO members (user_id, display_name) VALUES (%s, %s)", [(1, "Een"), (2, "Twee")])
        return cursor.execute("SELECT current_user").fetchone()[0]


def _copy(dbapi):
    with dbapi.cursor() as cursor:
        with cursor.copy("COPY members (user_id, display_name) FROM STDIN") as copy:
            copy.write_row((3, "Drie"))
        return cursor.execute("SELECT current_user").fetchone()[0]


def _stream(dbapi):
    with dbapi.cursor() as cursor:
        return next(iter(cursor.stream("SELECT current_user")))[0]


def _named_cursor(dbapi):
    with dbapi.cursor(name="wijknet_test") as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def _connection_execute(dbapi):
    return dbapi.execute("SELECT current_user").fetchone()[0]


@pytest.mark.parametrize(
    "first",
    [_execute, _execute_with_values, _binary, _executemany, _copy, _stream, _named_cursor, _connection_execute],
    ids=lambda f: f.__name__.strip("_"),
)
def test_whatever_reaches_the_driver_first_runs_after_the_switch(one_connection, make_tenant, first):
    """procrastinate defers a job on the driver's connection, past SQLAlchemy; an export
    copies. Each way of sending a first statement runs as the lab, in the lab's schema."""
    tenant = make_tenant()
    with tenant_unit_of_work(one_connection, tenant) as session:
        assert first(_as_driver(session)) == tenant.role_name
        assert session.scalar(text("SELECT current_setting('search_path')")).startswith(tenant.schema_name)


def test_a_job_deferred_first_is_part_of_the_labs_transaction(one_connection, make_tenant):
    """A job deferred as a transaction's first act is undone with it: had it gone out
    before the switch's BEGIN, it would be committed alone."""
    from wijknet.platform.jobs import JOBS_SCHEMA, defer_in
    from wijknet.platform.mail.tasks import send_email

    tenant = make_tenant()

    def jobs() -> int:
        with one_connection.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {JOBS_SCHEMA}.procrastinate_jobs")).scalar()

    before = jobs()
    with pytest.raises(RuntimeError), tenant_unit_of_work(one_connection, tenant) as session:
        assert defer_in(session, send_email, to="bewoner@example.org", subject="Test", body="Test") > 0
        assert session.scalar(text("SELECT current_user")) == tenant.role_name  # the job went after the switch
        raise RuntimeError("the lab's transaction fails after the job was deferred")
    assert jobs() == before


VALUES = [
    7,
    2**40,
    -1,
    "O'Brien zegt: 100% \\ café 🍞 $1 %s",
    "",
    None,
    True,
    Decimal("12.34"),
    1.5,
    float("inf"),
    time(16, 0, 30),
    timedelta(days=2, seconds=5),
    datetime(2026, 12, 7, 16, 0, 30, 123456, tzinfo=timezone.utc),
    date(2026, 12, 7),
    [1, 2, 3],
    ["een", "twee, drie", None],
    b"\x00\xff'",
    UUID("12345678-1234-5678-1234-567812345678"),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_values_quoted_into_the_first_statement_come_back_as_when_bound(one_connection, make_tenant, value):
    """The first statement's values are written into its text (the simple protocol takes no
    parameters): each kind comes back as the same statement bound by the server returns it
    (a kind whose type the text would lose, like a list of strings, has the switch sent on
    its own), and a literal percent sign stays one."""
    tenant = make_tenant()
    statement = text("SELECT :value AS value, '100%' AS percent")
    with tenant_unit_of_work(one_connection, tenant) as session:
        first = tuple(session.execute(statement, {"value": value}).one())  # quoted in, with the switch
        bound = tuple(session.execute(statement, {"value": value}).one())  # bound by the server
    assert first == bound and first[1] == "100%"
    if not isinstance(value, list):  # a list of strings is an untyped literal both ways: text
        assert first[0] == value


@pytest.mark.parametrize("level", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_tenant_session_with_an_isolation_level_gets_it(one_connection, make_tenant, level):
    """An export reads a lab in REPEATABLE READ: the driver's own BEGIN carries the level, so
    the switch must not bring a plain BEGIN of its own there."""
    tenant = make_tenant()
    with TenantSession(one_connection.execution_options(isolation_level=level), tenant) as session:
        assert session.scalar(text("SHOW transaction_isolation")) == level.lower()
        assert session.scalar(text("SELECT current_user")) == tenant.role_name


def test_a_gone_tenant_is_refused_in_an_open_transaction_too(one_connection, make_tenant):
    """Provisioning switches inside its own open transaction (the plain way): the
    function's refusal is TenantGone there too."""
    from wijknet.platform.tenancy.uow import switch_to_tenant

    tenant = make_tenant()
    gone = tenant.__class__(**{**tenant.__dict__, "id": 987654321})
    with one_connection.connect() as conn, conn.begin():
        conn.execute(text("SELECT 1"))
        with pytest.raises(TenantGone):
            switch_to_tenant(conn, gone)


def test_a_value_the_driver_cannot_quote_sends_nothing_and_keeps_the_switch(one_connection, make_tenant):
    tenant = make_tenant()
    with tenant_unit_of_work(one_connection, tenant) as session:
        with pytest.raises(Exception, match="cannot adapt"):
            session.execute(text("SELECT :value"), {"value": object()})
        assert session.scalar(text("SELECT current_user")) == tenant.role_name


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_transaction_that_sent_nothing_leaves_no_switch_behind(one_connection, make_tenant, end):
    """The switch waits for a statement; when the transaction ends without one, the next
    user of the connection (here the platform, on the same connection) is the application."""
    tenant = make_tenant()
    with one_connection.connect() as conn:
        session = TenantSession(conn, tenant)
        session.connection()
        getattr(session, end)()
        if end == "close":
            conn.rollback()
        assert conn.execute(text("SELECT current_user = session_user")).scalar()
        conn.commit()
    with one_connection.connect() as conn:  # and after the pool had it back
        session = TenantSession(one_connection, tenant)
        session.connection()
    session.close()
    with Session(one_connection) as platform:
        assert platform.scalar(text("SELECT current_user = session_user"))


def test_a_statement_that_fails_after_the_switch_fails_the_transaction_only(one_connection, make_tenant):
    tenant = make_tenant()
    with pytest.raises(Exception, match="no_such_table"), tenant_unit_of_work(one_connection, tenant) as session:
        session.execute(text("SELECT * FROM no_such_table"))
    with tenant_unit_of_work(one_connection, tenant) as session:
        assert session.scalars(select(Member.id)).all() == []
        assert session.scalar(text("SELECT current_user")) == tenant.role_name


def test_a_deleted_lab_answers_404_on_pages_and_as_json_on_the_api(environ, engine, make_tenant, make_member, login_as):
    """The switch that finds the lab gone is the first statement of a view now: the app's
    handler answers 404 (JSON for the API) and this process's cache forgets the lab."""
    from wijknet.platform.app import create_app
    from wijknet.platform.identity.models import User
    from wijknet.platform.identity.tokens import create_token
    from wijknet.platform.tenancy.models import Tenant

    app = create_app(dict(environ, WIJKNET_TENANT_CACHE_SECONDS="60"), engine=engine)
    tenant = make_tenant()
    user_id = make_member(tenant, "admin")
    with Session(engine) as session, session.begin():
        _token, plaintext = create_token(session, tenant_id=tenant.id, user=session.get(User, user_id), name="404")
    client = login_as(app.test_client(), user_id)
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert client.get(f"/t/{tenant.slug}/members").status_code == 200
    assert client.get(f"/t/{tenant.slug}/api/v1/members", headers=bearer).status_code == 200
    with Session(engine) as session, session.begin():
        session.get(Tenant, tenant.id).status = "deleting"  # the first step of drop_tenant, by another process
    answer = client.get(f"/t/{tenant.slug}/api/v1/members", headers=bearer)
    assert answer.status_code == 404 and answer.json["code"] == "not_found"
    directory = app.extensions["wijknet"].directory
    assert tenant.slug not in directory._by_slug
    page = client.get(f"/t/{tenant.slug}/members")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_migration_0013_goes_down_to_0012s_function_and_up_again(server_url):
    """Down, 0013 puts back 0012's function (which answered false for a lab it cannot
    enter), privileges included; up again, the refusal is an error once more."""
    from alembic import command

    from tests.conftest import MIGRATIONS, fresh_database
    from wijknet.platform.tenancy.migrate import alembic_config, upgrade_platform
    from wijknet.platform.tenancy.uow import LAB_NOT_OPEN

    def enter_nobody(conn):
        return conn.execute(text("SELECT platform.enter_tenant(987654321, false, ARRAY['active'], 14)")).scalar()

    def public_may_execute(conn):
        return conn.execute(
            text("SELECT has_function_privilege('public', 'platform.enter_tenant(bigint, boolean, text[], integer)', 'EXECUTE')")
        ).scalar()

    with fresh_database(server_url) as url:
        engine = make_engine(url)
        try:
            upgrade_platform(engine, MIGRATIONS)
            config = alembic_config(MIGRATIONS, "platform")
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.downgrade(config, "0012")
            with engine.begin() as conn:
                assert enter_nobody(conn) is False
                assert not public_may_execute(conn)
            upgrade_platform(engine, MIGRATIONS)
            with engine.begin() as conn:
                assert not public_may_execute(conn)
                with pytest.raises(Exception) as refused:
                    enter_nobody(conn)
            assert isinstance(refused.value.orig, psycopg.Error) and refused.value.orig.sqlstate == LAB_NOT_OPEN
        finally:
            engine.dispose()


@pytest.mark.parametrize("binary", [False, True], ids=["with the statement", "on its own"])
def test_a_switch_the_driver_refuses_to_send_still_comes_first(one_connection, make_tenant, binary):
    """In psycopg's pipeline mode the switch's message of several statements is refused
    before anything began: the switch must still wait, and nothing run without it (both
    when it was to go with the statement and when on its own, before a binary one)."""
    tenant = make_tenant()
    with tenant_unit_of_work(one_connection, tenant) as session:
        dbapi = _as_driver(session)
        with pytest.raises(psycopg.Error), dbapi.pipeline(), dbapi.cursor() as cursor:
            cursor.execute("SELECT 1", binary=binary)
        assert session.scalar(text("SELECT current_user")) == tenant.role_name
