"""Alembic for the platform schema and for every tenant schema.

Tenant schemas each keep their own `alembic_version` table; the platform registry
(`platform.tenants.schema_version`) mirrors it in the same transaction, so finding the
tenants that are behind is one indexed query and a no-op run over thousands of tenants
costs one round trip.
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from .citus import allow_tenant_triggers, is_citus
from .names import quote_ident

FILE_TEMPLATE = "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"
LOCK_TIMEOUT = "5s"


# alembic is imported where it is used: a command that does not migrate (most) does not pay
# for it at start-up.


def alembic_config(migrations_dir: str, kind: str, database_url: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(migrations_dir, kind))
    cfg.set_main_option("file_template", FILE_TEMPLATE)
    if database_url:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


@lru_cache(maxsize=8)
def tenant_scripts(migrations_dir: str):
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(migrations_dir, "tenant"))


_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?\s*=\s*[\"']([^\"']+)[\"']\s*$", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*(None|[\"']([^\"']+)[\"'])\s*$", re.M)


@lru_cache(maxsize=8)
def tenant_head(migrations_dir: str) -> str:
    """The head of the tenant migrations. Read from the revision files' own `revision` and
    `down_revision` lines when they form one plain chain (provisioning then never imports
    alembic, which costs a command a fifth of its start-up); asked of alembic otherwise
    (branches, merges). tests/platform/tenancy/test_migrations.py holds the two equal."""
    head = _chain_head(os.path.join(migrations_dir, "tenant", "versions"))
    if head is None:
        head = tenant_scripts(migrations_dir).get_current_head()
    if head is None:
        raise RuntimeError(f"No tenant migrations found in {migrations_dir}/tenant.")
    return head


def _chain_head(folder: str) -> str | None:
    revisions, downs = set(), set()
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".py") and not n.startswith("__")]
    except OSError:
        return None
    for name in names:
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            source = fh.read()
        revision, down = _REVISION.findall(source), _DOWN.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None  # not a plain revision file: let alembic read it
        revisions.add(revision[0])
        if down[0][0] != "None":
            downs.add(down[0][1])
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 and len(downs) == len(revisions) - 1 else None


def upgrade_platform(engine: Engine, migrations_dir: str) -> None:
    from alembic import command

    cfg = alembic_config(migrations_dir, "platform")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@lru_cache(maxsize=8)
def platform_heads(migrations_dir: str) -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config(migrations_dir, "platform")).get_heads())


def platform_is_current(conn: Connection, migrations_dir: str) -> bool:
    exists = conn.execute(text("SELECT to_regclass('platform.alembic_version') IS NOT NULL")).scalar()
    if not exists:
        return False
    current = conn.execute(text("SELECT version_num FROM platform.alembic_version")).scalars().all()
    return set(current) == platform_heads(migrations_dir)


# alembic's own version table, as `alembic stamp` makes it (tests/platform/tenancy/
# test_migrations.py compares a provisioned schema with a migrated one, this table included).
VERSION_TABLE = (
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
)


def stamp_tenant(conn: Connection, schema: str, migrations_dir: str) -> str:
    """Record head in a freshly provisioned tenant schema (caller is switched into it)."""
    head = tenant_head(migrations_dir)
    conn.execute(text(VERSION_TABLE))
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
    return head


@dataclass
class TenantToMigrate:
    id: int
    slug: str
    schema_name: str
    role_name: str
    schema_version: str | None


@dataclass
class MigrationResult:
    tenant_id: int
    slug: str
    ok: bool
    from_version: str | None
    to_version: str | None
    error: str | None = None


@dataclass
class MigrationSummary:
    head: str
    results: list[MigrationResult] = field(default_factory=list)

    @property
    def failed(self) -> list[MigrationResult]:
        return [r for r in self.results if not r.ok]

    @property
    def upgraded(self) -> list[MigrationResult]:
        return [r for r in self.results if r.ok]


def tenants_behind(conn: Connection, head: str, slugs: Iterable[str] | None = None) -> list[TenantToMigrate]:
    sql = (
        "SELECT id, slug, schema_name, role_name, schema_version FROM platform.tenants"
        " WHERE status IN ('active', 'suspended') AND (schema_version IS NULL OR schema_version <> :head)"
    )
    params: dict = {"head": head}
    if slugs:
        sql += " AND slug = ANY(:slugs)"
        params["slugs"] = list(slugs)
    rows = conn.execute(text(sql + " ORDER BY id"), params).all()
    return [TenantToMigrate(*row) for row in rows]


def migrate_tenant(engine: Engine, tenant: TenantToMigrate, migrations_dir: str) -> MigrationResult:
    """Upgrade one tenant to head: one transaction wholly as the tenant's role, then the
    registry in a transaction of its own that touches no tenant object.

    The application role never runs in a transaction that touched the tenant's schema: code
    a tenant role planted there (a deferred trigger, a view) cannot run with the
    application's rights. A crash between the two steps leaves the registry behind; the next
    run finds the schema at head (a no-op) and records it."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    script = tenant_scripts(migrations_dir)
    head = tenant_head(migrations_dir)
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(
                text(
                    "SELECT set_config('role', :role, true), set_config('search_path', :path, true),"
                    " set_config('lock_timeout', :lock_timeout, true)"
                ),
                {"role": tenant.role_name, "path": quote_ident(tenant.schema_name) + ", pg_temp", "lock_timeout": LOCK_TIMEOUT},
            )
            if is_citus(engine):
                allow_tenant_triggers(conn)
                conn.execute(text("SET LOCAL citus.max_cached_conns_per_worker = 0"))  # as the tenant switch does
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "version_table_schema": tenant.schema_name,
                    "fn": lambda rev, _ctx: script._upgrade_revs(head, rev),
                    "script": script,
                },
            )
            with Operations.context(ctx):
                ctx.run_migrations()
            reached = ctx.get_current_revision()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE platform.tenants SET schema_version = :version, migration_error = NULL,"
                    " migration_failed_at = NULL, updated_at = now() WHERE id = :id"
                ),
                {"version": reached, "id": tenant.id},
            )
        return MigrationResult(tenant.id, tenant.slug, True, tenant.schema_version, reached)
    except Exception as exc:  # noqa: BLE001 - one tenant's failure must not stop the others
        message = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE platform.tenants SET migration_error = :error, migration_failed_at = now() WHERE id = :id"),
                {"error": message + "\n" + traceback.format_exc(limit=3), "id": tenant.id},
            )
        return MigrationResult(tenant.id, tenant.slug, False, tenant.schema_version, tenant.schema_version, message)


# --- parallel runner -----------------------------------------------------------------
# Alembic's `op` is a module-level proxy, so migrations cannot run in threads; each worker
# is a process with its own engine. The workers are forked: they start with everything this
# process has imported (spawned ones imported it all again, which cost more than the
# parallel work saved below a few hundred tenants) and open connections of their own; they
# never touch the parent's pool (and leave without closing what they inherited).
_worker: dict = {}


def _init_worker(database_url: str, migrations_dir: str, prepared_statements: bool) -> None:
    from ..db import make_engine

    tenant_scripts(migrations_dir)  # read before forking (a cache hit here)

    _worker["engine"] = make_engine(database_url, prepared_statements=prepared_statements, pool_size=1)
    _worker["migrations_dir"] = migrations_dir


def _migrate_in_worker(tenant: TenantToMigrate) -> MigrationResult:
    return migrate_tenant(_worker["engine"], tenant, _worker["migrations_dir"])


def upgrade_tenants(
    engine: Engine,
    migrations_dir: str,
    *,
    jobs: int = 2,
    slugs: Iterable[str] | None = None,
    on_result: Callable[[MigrationResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    prepared_statements: bool = True,
) -> MigrationSummary:
    head = tenant_head(migrations_dir)
    with engine.connect() as conn:
        todo = tenants_behind(conn, head, slugs)
    summary = MigrationSummary(head=head)
    if on_start:
        on_start(len(todo))
    if not todo:
        return summary
    if jobs <= 1 or len(todo) == 1:
        for tenant in todo:
            result = migrate_tenant(engine, tenant, migrations_dir)
            summary.results.append(result)
            if on_result:
                on_result(result)
        return summary
    # Here, not at the top: provisioning imports this file for the version stamp only.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    tenant_scripts(migrations_dir)  # read once here: every forked worker has it
    engine.dispose()  # nothing of the parent's pool is open when the workers fork
    url = engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(todo)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_init_worker,
        initargs=(url, migrations_dir, prepared_statements),
    ) as pool:
        futures = [pool.submit(_migrate_in_worker, t) for t in todo]
        for future in as_completed(futures):
            result = future.result()
            summary.results.append(result)
            if on_result:
                on_result(result)
    summary.results.sort(key=lambda r: r.tenant_id)
    return summary
