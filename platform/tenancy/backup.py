"""Back up one living lab's schema with pg_dump, and restore it, on plain PostgreSQL and on
Citus (docs/operations.md, docs/scale-out.md).

A lab is one schema owned by one role, so `pg_dump --schema` of it is a whole backup. The
restore replaces the schema in one transaction (`psql --single-transaction`): a restore that
fails leaves the lab as it was. On Citus the dump is restored as local tables (a restore
into a distributed schema fails: pg_dump adds identity columns after the table, which Citus
refuses on a distributed table), then distributed again as one schema, and the local copies
left on the coordinator are emptied.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..refusals import DomainError
from .citus import allow_tenant_triggers, is_citus
from .names import quote_ident
from .operations import get_tenant


class BackupError(DomainError):
    code = "backup"


def _libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _major(version_text: str) -> int:
    # "pg_dump (PostgreSQL) 15.20 (Debian ...)" -> 15
    return int(version_text.split(")")[1].strip().split(".")[0].split()[0])


def _candidates() -> list[Path]:
    found = []
    if configured := os.environ.get("WIJKNET_PG_BIN"):
        found.append(Path(configured))
    bindir = shutil.which("pg_config") and subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout
    if bindir:
        found.append(Path(bindir.strip()))
    try:
        import pgserver  # the embedded PostgreSQL's own tools

        found.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:  # pragma: no cover - pgserver is a dependency
        pass
    if on_path := shutil.which("pg_dump"):
        found.append(Path(on_path).parent)
    return found


def pg_tools(engine: Engine) -> Path:
    """A directory with pg_dump and psql no older than the server (pg_dump refuses a newer
    server): WIJKNET_PG_BIN, this machine's PostgreSQL, the embedded one's, or PATH."""
    with engine.connect() as conn:
        server = conn.execute(text("SHOW server_version_num")).scalar()
    server_major = int(server) // 10000
    for folder in _candidates():
        tool = folder / "pg_dump"
        if tool.exists() and (folder / "psql").exists():
            version = subprocess.run([str(tool), "--version"], capture_output=True, text=True).stdout
            if _major(version) >= server_major:
                return folder
    raise BackupError(
        f"No pg_dump and psql of PostgreSQL {server_major} or newer found; set WIJKNET_PG_BIN to their directory.",
        code="backup.no_tools",
    )


def _schema_of(engine: Engine, slug: str) -> str:
    """The lab's schema (TenantActionError for an unknown slug)."""
    with Session(engine) as session:
        return get_tenant(session, slug).schema_name


def backup_tenant(engine: Engine, slug: str, out: str | Path) -> Path:
    """Write the lab's schema (tables, rows, functions, triggers, owner) as a SQL script."""
    schema = _schema_of(engine, slug)
    tools = pg_tools(engine)
    done = subprocess.run(
        [str(tools / "pg_dump"), "--schema", schema, "--no-privileges", "--file", str(out), "--dbname", _libpq_url(engine)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}", code="backup.dump_failed")
    return Path(out)


def restore_tenant(engine: Engine, slug: str, path: str | Path) -> None:
    """Replace the lab's schema by the one in the backup at `path` (made by `backup_tenant`
    of the same lab: same schema name, same owner role)."""
    schema = _schema_of(engine, slug)
    script = Path(path).read_text()
    if f"CREATE SCHEMA {schema};" not in script and f"CREATE SCHEMA {quote_ident(schema)};" not in script:
        raise BackupError(f"{path} is not a backup of {slug} (schema {schema}).", code="backup.other_lab")
    tools = pg_tools(engine)
    citus = is_citus(engine)
    env = dict(os.environ)
    if citus:
        # Restored as local tables; distributed below, as one schema.
        env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c citus.enable_schema_based_sharding=off").strip()
    preamble = f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE;\n"
    done = subprocess.run(
        [
            str(tools / "psql"),
            "--quiet",
            "--no-psqlrc",
            "--single-transaction",
            "-v",
            "ON_ERROR_STOP=1",
            "--dbname",
            _libpq_url(engine),
        ],
        input=preamble + script,
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise BackupError(f"psql failed, the lab is unchanged: {done.stderr.strip()}", code="backup.restore_failed")
    if citus:
        _distribute_restored(engine, schema)


def _distribute_restored(engine: Engine, schema: str) -> None:
    with engine.begin() as conn:
        allow_tenant_triggers(conn)
        conn.execute(text("SELECT citus_schema_distribute(to_regnamespace(:s))"), {"s": schema})
    # The coordinator's local copies emptied. The ledger refuses TRUNCATE by a trigger, so its
    # triggers are off for this transaction only (no tenant code runs as the application).
    with engine.begin() as conn:
        allow_tenant_triggers(conn)
        tables = conn.execute(
            text("SELECT oid::regclass::text FROM pg_class WHERE relnamespace = to_regnamespace(:s) AND relkind = 'r'"),
            {"s": schema},
        ).scalars()
        tables = list(tables)
        for table in tables:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        for table in tables:
            conn.execute(text("SELECT truncate_local_data_after_distributing_table(CAST(:t AS regclass))"), {"t": table})
        for table in tables:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
