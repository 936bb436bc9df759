"""SPEC §2.1: isolation enforced by PostgreSQL privileges inside the tenant unit of work."""

import pytest
from psycopg import pq
from sqlalchemy import select, text
from sqlalchemy.exc import InternalError, ProgrammingError

from wijknet.platform.tenancy.names import quote_ident
from wijknet.platform.tenancy.operations import add_member, ensure_user
from wijknet.platform.tenancy.uow import NoTenant, TenantSession, switch_to_tenant, tenant_unit_of_work
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy


@pytest.fixture
def two_tenants(make_tenant, engine):
    from sqlalchemy.orm import Session

    from wijknet.platform.tenancy.models import Tenant

    a, b = make_tenant(), make_tenant()
    with Session(engine) as session, session.begin():
        for ref, email in ((a, "ann@a.example"), (b, "bob@b.example")):
            add_member(
                session, session.get(Tenant, ref.id), ensure_user(session, f"{ref.slug}-{email}", email.split("@")[0]), "member"
            )
    return a, b


def test_each_unit_of_work_sees_only_its_own_members(engine, two_tenants):
    a, b = two_tenants
    with tenant_unit_of_work(engine, a) as session:
        assert [m.display_name for m in session.scalars(select(Member))] == ["ann"]
    with tenant_unit_of_work(engine, b) as session:
        assert [m.display_name for m in session.scalars(select(Member))] == ["bob"]


def test_raw_sql_on_another_tenants_tables_is_denied(engine, two_tenants):
    a, b = two_tenants
    with pytest.raises(ProgrammingError, match="permission denied for schema"):
        with tenant_unit_of_work(engine, a) as session:
            session.execute(text(f"SELECT * FROM {quote_ident(b.schema_name)}.members"))
    with pytest.raises(ProgrammingError, match="permission denied for schema"):
        with tenant_unit_of_work(engine, a) as session:
            session.execute(text(f"UPDATE {quote_ident(b.schema_name)}.members SET display_name = 'x'"))


@pytest.mark.parametrize("table", ["tenants", "users", "memberships", "module_settings", "staff_audit_log", "alembic_version"])
def test_raw_sql_on_platform_tables_is_denied(engine, two_tenants, table):
    a, _ = two_tenants
    with pytest.raises(ProgrammingError, match="permission denied for schema platform"):
        with tenant_unit_of_work(engine, a) as session:
            session.execute(text(f"SELECT * FROM platform.{table}"))


def test_a_tenant_cannot_call_the_switch_into_another(engine, two_tenants):
    """The switch is a function in the platform schema (platform.enter_tenant): SQL that
    runs as tenant A cannot use it to become tenant B."""
    a, b = two_tenants
    with pytest.raises(ProgrammingError, match="permission denied for schema platform"):
        with tenant_unit_of_work(engine, a) as session:
            session.execute(text("SELECT platform.enter_tenant(:id, true, '{active}', 14)"), {"id": b.id})
    with engine.connect() as conn:  # nor may any role but the application's, whatever its schema rights
        granted = conn.scalar(
            text("SELECT proacl FROM pg_proc WHERE oid = 'platform.enter_tenant(bigint, boolean, text[], integer)'::regprocedure")
        )
        assert granted is not None and not any(entry.startswith("=") for entry in granted)  # "=X/owner" would be PUBLIC


def test_savepoint_rollback_does_not_change_the_tenant(engine, two_tenants):
    a, _ = two_tenants
    with tenant_unit_of_work(engine, a) as session:
        before = session.execute(text("SELECT current_user, current_setting('search_path')")).one()
        savepoint = session.begin_nested()
        session.add(Member(user_id=999_999, display_name="temp"))
        session.flush()
        savepoint.rollback()
        after = session.execute(text("SELECT current_user, current_setting('search_path')")).one()
        assert before == after == (a.role_name, f"{a.schema_name}, pg_temp")
        assert session.scalar(select(Member).where(Member.user_id == 999_999)) is None


def test_connection_returns_to_the_application_role_after_the_unit_of_work(engine, two_tenants):
    a, _ = two_tenants
    with engine.connect() as conn:
        app_role = conn.execute(text("SELECT current_user")).scalar()
    with tenant_unit_of_work(engine, a) as session:
        assert session.execute(text("SELECT current_user")).scalar() == a.role_name
    with engine.connect() as conn:  # the same pooled connection, next transaction
        assert conn.execute(text("SELECT current_user, current_setting('search_path')")).one() == (app_role, '"$user", public')


def test_every_transaction_of_a_tenant_session_is_switched(engine, two_tenants):
    a, _ = two_tenants
    with TenantSession(engine, a) as session:
        for _ in range(3):
            assert session.execute(text("SELECT current_user")).scalar() == a.role_name
            session.commit()


def test_session_without_tenant_fails_closed(engine):
    with pytest.raises(NoTenant):
        TenantSession(engine, None)


def test_suspended_tenant_transactions_are_read_only(engine, make_tenant):
    """Read from the registry in the switch: a reference cached before the suspension
    (another process's) cannot write either."""
    from sqlalchemy.orm import Session

    from wijknet.platform.tenancy.operations import set_tenant_status

    tenant = make_tenant()  # cached as active
    with Session(engine) as session, session.begin():
        set_tenant_status(session, tenant.slug, "suspended", actor="test")
    with pytest.raises(InternalError, match="read-only transaction"):
        with tenant_unit_of_work(engine, tenant) as session:
            session.add(Member(user_id=1, display_name="x"))
            session.flush()
    with tenant_unit_of_work(engine, tenant, system=True) as session:  # the platform's own upkeep may
        session.add(Member(user_id=1, display_name="x"))
        session.flush()


def test_tenant_role_owns_only_its_schema(engine, two_tenants):
    a, b = two_tenants
    with engine.connect() as conn:
        privileges = conn.execute(
            text(
                "SELECT has_schema_privilege(:ra, :sa, 'USAGE'), has_schema_privilege(:ra, :sb, 'USAGE'),"
                " has_schema_privilege(:ra, 'platform', 'USAGE'), has_schema_privilege(:ra, 'public', 'CREATE'),"
                " (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = :sa)"
            ),
            {"ra": a.role_name, "sa": a.schema_name, "sb": b.schema_name},
        ).one()
    assert privileges == (True, False, False, False, a.role_name)


def test_tenant_roles_cannot_make_temporary_tables(engine, two_tenants):
    """Security review finding 7: a temporary table would outlive the transaction on the pooled
    connection and could shadow another tenant's table. The tenant roles may not make one,
    and pg_temp comes last in the path anyway."""
    a, _ = two_tenants
    with pytest.raises(ProgrammingError, match="permission denied to create temporary tables"):
        with tenant_unit_of_work(engine, a) as session:
            session.execute(text("CREATE TEMP TABLE members (id int)"))
    with tenant_unit_of_work(engine, a) as session:
        assert session.execute(text("SELECT current_setting('search_path')")).scalar().endswith("pg_temp")


def test_tenant_roles_cannot_read_table_statistics(engine, two_tenants):
    """Security review finding 8: row counts and scans of other tenants' tables are hidden
    (the migration does it when run by a superuser, as here; docs/security.md otherwise)."""
    a, b = two_tenants
    with pytest.raises(ProgrammingError, match="permission denied for view pg_stat_user_tables"):
        with tenant_unit_of_work(engine, a) as session:
            session.execute(text("SELECT n_live_tup FROM pg_stat_user_tables"))
    with tenant_unit_of_work(engine, a) as session:  # pg_stats is filtered by privilege already
        seen = session.execute(text("SELECT DISTINCT schemaname FROM pg_stats WHERE schemaname LIKE 't\\_%'")).scalars().all()
        assert b.schema_name not in seen


def test_a_connection_kept_across_tenant_transactions_is_switched_in_each(engine, two_tenants):
    """The switch travels with BEGIN and puts the driver in autocommit for its transaction;
    a holder that keeps the connection (not back to the pool in between) must still get a
    real, switched transaction the next time — found by bench/citus_connections.py."""
    a, b = two_tenants
    with engine.connect() as conn:
        for tenant in (a, b, a):
            with conn.begin():
                switch_to_tenant(conn, tenant)
                who, names = conn.execute(text("SELECT current_user, (SELECT array_agg(display_name) FROM members)")).one()
                assert who == tenant.role_name and names == (["ann"] if tenant is a else ["bob"])
                assert conn.connection.dbapi_connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS


def test_the_switch_refuses_a_connection_in_autocommit(engine, two_tenants):
    a, _ = two_tenants
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        with pytest.raises(NoTenant, match="need a transaction"):
            switch_to_tenant(conn, a)
