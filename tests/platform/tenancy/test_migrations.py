"""Per-tenant migrations: version per schema, registry in step, failures isolated and resumed."""

import json
import os
import shutil

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.orm import Session

from wijknet.platform.modules import tenant_metadata
from wijknet.platform.sql_script import statements
from wijknet.platform.tenancy.citus import allow_tenant_triggers, distribute_schema_step, is_citus
from wijknet.platform.tenancy.migrate import TenantToMigrate, migrate_tenant, tenant_head
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.names import quote_ident
from wijknet.platform.tenancy.provisioning import drop_tenant

pytestmark = pytest.mark.tenancy
REPO = os.path.join(os.path.dirname(__file__), "..", "..", "..")
MIGRATIONS = os.path.abspath(os.path.join(REPO, "migrations"))

EXTRA_REVISION = '''"""add a note to members

Revision ID: t9999
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = "t9999"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("members", sa.Column("note", sa.Text(), nullable=True))
    op.create_index("ix_members_note", "members", ["note"])


def downgrade():
    op.drop_index("ix_members_note", table_name="members")
    op.drop_column("members", "note")
'''


@pytest.fixture
def migrations_with_new_revision(tmp_path):
    target = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, target, ignore=shutil.ignore_patterns("__pycache__"))
    head = tenant_head(MIGRATIONS)
    (target / "tenant" / "versions" / "20991231_0000_t9999_add_note.py").write_text(EXTRA_REVISION.format(down=head))
    return str(target)


def _columns(engine, schema):
    with engine.connect() as conn:
        return set(
            conn.execute(
                text("SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND table_name = 'members'"),
                {"s": schema},
            ).scalars()
        )


def _schema_version(engine, schema):
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT version_num FROM {quote_ident(schema)}.alembic_version")).scalar()


def test_failing_tenant_is_reported_kept_and_resumed(run_cli, make_tenant, engine, migrations_with_new_revision):
    a, b, c = make_tenant(), make_tenant(), make_tenant()
    old = tenant_head(MIGRATIONS)
    with engine.begin() as conn:  # make b's migration fail: the column is already there
        conn.execute(text(f"ALTER TABLE {quote_ident(b.schema_name)}.members ADD COLUMN note text"))
    slugs = [arg for t in (a, b, c) for arg in ("--slug", t.slug)]
    env = {"WIJKNET_MIGRATIONS_DIR": migrations_with_new_revision}

    result = run_cli("tenants", "migrate", "--jobs", "2", *slugs, extra_env=env)
    assert result.returncode == 1
    assert "2 upgraded, 1 failed" in result.stdout
    assert f"FAILED {b.slug}" in result.stderr and "DuplicateColumn" in result.stderr
    assert "note" in _columns(engine, a.schema_name) and "note" in _columns(engine, c.schema_name)
    assert _schema_version(engine, a.schema_name) == _schema_version(engine, c.schema_name) == "t9999"
    assert _schema_version(engine, b.schema_name) == old
    listed = {r["slug"]: r for r in json.loads(run_cli("tenants", "list", "--json").stdout)}
    assert listed[a.slug]["schema_version"] == "t9999" and listed[a.slug]["migration_error"] is None
    assert listed[b.slug]["schema_version"] == old and "DuplicateColumn" in listed[b.slug]["migration_error"]

    with engine.begin() as conn:  # the operator repairs b
        conn.execute(text(f"ALTER TABLE {quote_ident(b.schema_name)}.members DROP COLUMN note"))
    resumed = run_cli("tenants", "migrate", *slugs, extra_env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert "tenants behind head: 1" in resumed.stdout and "1 upgraded, 0 failed" in resumed.stdout
    assert _schema_version(engine, b.schema_name) == "t9999"
    noop = run_cli("tenants", "migrate", *slugs, extra_env=env)
    assert "tenants behind head: 0" in noop.stdout and noop.returncode == 0

    # Leave the shared test database at the normal head.
    with Session(engine) as session:
        for ref in (a, b, c):
            drop_tenant(engine, session.get(Tenant, ref.id), actor="test")


SPY = """
CREATE TABLE spied (who text, platform_users bigint);
CREATE FUNCTION spy() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE found bigint;
BEGIN
    BEGIN
        SELECT count(*) INTO found FROM platform.users;
    EXCEPTION WHEN insufficient_privilege OR undefined_table THEN  -- on a Citus worker there is no platform at all
        found := NULL;
    END;
    INSERT INTO spied VALUES (current_user, found);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER spy AFTER INSERT OR UPDATE ON alembic_version
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION spy();
"""


def test_code_a_tenant_role_planted_never_runs_as_the_application(make_tenant, engine, migrations_with_new_revision):
    """Security review finding 6: a deferred trigger planted in the tenant's schema (by SQL run
    as the tenant role) fires at the migration's commit. It must run as the tenant role and
    see nothing of the platform."""
    tenant = make_tenant()
    with engine.begin() as conn:
        conn.execute(
            text("SELECT set_config('role', :r, true), set_config('search_path', :s, true)"),
            {"r": tenant.role_name, "s": tenant.schema_name},
        )
        if is_citus(engine):
            allow_tenant_triggers(conn)  # a tenant role may set it too: it is a session setting
        for statement in statements(SPY):
            conn.exec_driver_sql(statement)
    summary_row = migrate_tenant(
        engine,
        TenantToMigrate(tenant.id, tenant.slug, tenant.schema_name, tenant.role_name, tenant_head(MIGRATIONS)),
        migrations_with_new_revision,
    )
    assert summary_row.ok, summary_row.error
    with engine.connect() as conn:
        spied = conn.execute(text(f"SELECT who, platform_users FROM {quote_ident(tenant.schema_name)}.spied")).all()
        registry = conn.execute(text("SELECT schema_version FROM platform.tenants WHERE id = :id"), {"id": tenant.id}).scalar()
    assert spied and all(who == tenant.role_name and users is None for who, users in spied), spied
    assert registry == "t9999"
    with Session(engine) as session:
        drop_tenant(engine, session.get(Tenant, tenant.id), actor="test")


def test_db_upgrade_runs_platform_then_tenants(run_cli):
    result = run_cli("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "platform: at head" in result.stdout and "0 failed" in result.stdout


def _diff(engine, schema):
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT set_config('search_path', :s, true)"), {"s": quote_ident(schema)})
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return [d for d in compare_metadata(ctx, tenant_metadata()) if "alembic_version" not in str(d)]


def _database_rules(engine, schema) -> dict:
    """What alembic does not compare: triggers (with their definitions), functions and
    exclusion constraints, which hold rules such as the ledger's and the bookings'."""
    with engine.connect() as conn:
        triggers = conn.execute(
            text(
                "SELECT t.tgname, replace(pg_get_triggerdef(t.oid), n.nspname || '.', '') FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :s AND NOT t.tgisinternal ORDER BY 1"
            ),
            {"s": schema},
        ).all()
        functions = conn.execute(
            text(
                "SELECT p.proname, p.prosrc, replace(replace(array_to_string(p.proconfig, ' '),"
                " '\"' || n.nspname || '\"', '<schema>'), n.nspname, '<schema>')"
                " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = :s ORDER BY 1"
            ),
            {"s": schema},
        ).all()
        exclusions = conn.execute(
            text(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
                " WHERE n.nspname = :s AND c.contype = 'x' ORDER BY 1"
            ),
            {"s": schema},
        ).all()
    return {"triggers": triggers, "functions": functions, "exclusions": exclusions}


def test_provisioned_schema_equals_migrated_schema(engine, make_tenant, prefix):
    provisioned = make_tenant()
    assert _diff(engine, provisioned.schema_name) == []
    expected_rules = _database_rules(engine, provisioned.schema_name)
    assert {"ledger_lines_balanced", "ledger_lines_append_only"} <= {name for name, _d in expected_rules["triggers"]}
    # A schema built from the first migration onwards, by the per-tenant runner.
    # Made as provisioning makes them (on Citus: a role that may log in, a distributed schema).
    schema, role = "t_migrated_check", f"{prefix}_t_migrated_check"
    citus = is_citus(engine)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {quote_ident(role)} {'LOGIN' if citus else 'NOLOGIN'}"))
        conn.execute(text(f"GRANT {quote_ident(role)} TO CURRENT_USER"))
    with engine.begin() as conn:
        if citus:
            distribute_schema_step(conn)
        conn.execute(text(f"CREATE SCHEMA {quote_ident(schema)} AUTHORIZATION {quote_ident(role)}"))
    try:
        result = migrate_tenant(engine, TenantToMigrate(-1, "migrated-check", schema, role, None), MIGRATIONS)
        assert result.ok, result.error
        assert _diff(engine, schema) == []
        assert _database_rules(engine, schema) == expected_rules
        assert _schema_version(engine, schema) == tenant_head(MIGRATIONS)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE"))
            conn.execute(text(f"DROP ROLE IF EXISTS {quote_ident(role)}"))


def test_platform_migrations_equal_the_models(engine):
    """The platform schema made by the migrations is what the models describe (the tenant
    side has the same check above)."""
    from wijknet.platform.db import PlatformBase
    from wijknet.platform.models import load_platform_models

    load_platform_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "version_table_schema": "platform",
                "include_name": lambda name, kind, _p: kind != "schema" or name == "platform",
            },
        )
        diff = [d for d in compare_metadata(ctx, PlatformBase.metadata) if "alembic_version" not in str(d)]
    assert diff == []


def test_the_head_read_from_the_files_is_alembics(tmp_path):
    """tenant_head reads the plain chain of revision files without alembic (start-up of a
    command); it must name the head alembic names, and hand a branch to alembic."""
    import shutil

    from wijknet.platform.tenancy.migrate import _chain_head, tenant_scripts

    assert _chain_head(os.path.join(MIGRATIONS, "tenant", "versions")) == tenant_scripts(MIGRATIONS).get_current_head()
    branched = tmp_path / "versions"
    shutil.copytree(os.path.join(MIGRATIONS, "tenant", "versions"), branched, ignore=shutil.ignore_patterns("__pycache__"))
    (branched / "20991231_0000_tb_branch.py").write_text('revision = "tb"\ndown_revision = "t0001"\n')
    assert _chain_head(str(branched)) is None  # two heads: not a plain chain
