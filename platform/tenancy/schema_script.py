"""The tenant schema at head as one SQL script, kept beside the tenant migrations
(migrations/tenant/schema_at_head.sql), so that creating a lab need not import every
module's models to compile it: about 0.1 s of every `wijknet tenants create` (issue 18).

The file is a cache with its key on its first line: the installed modules' names and a
hash of the model files it was made from (the core's and each module's). Provisioning uses
it only when the key matches what is installed now; otherwise (a model just edited, a
module a test registered) it compiles the script from the models, as before. `make
tenant-schema` rewrites it, and tests/platform/tenancy/test_schema_script.py fails when the
committed file is not what the models make.

    .venv/bin/python -m wijknet.platform.tenancy.schema_script   # what `make tenant-schema` runs
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import lru_cache
from importlib.util import find_spec

from ..modules import all_modules, tenant_metadata

FILE_NAME = os.path.join("tenant", "schema_at_head.sql")
CORE_MODELS = "wijknet.tenants.core.models"
HEADER = "-- The tenant schema at head, written by `make tenant-schema` from the models: do not edit. key: "


def script_path(migrations_dir: str) -> str:
    return os.path.join(migrations_dir, FILE_NAME)


def source_key() -> str:
    """The installed modules and a hash of their model files: what the script depends on."""
    modules = all_modules()
    digest = hashlib.sha256()
    for name in (CORE_MODELS, *(m.models for m in modules.values() if m.models)):
        with open(find_spec(name).origin, "rb") as source:
            digest.update(name.encode() + b"\0" + source.read())
    return f"{','.join(sorted(modules))} {digest.hexdigest()[:20]}"


def render() -> str:
    """The file's text: the key, then the script compiled from the models."""
    return f"{HEADER}{source_key()}\n{tenant_ddl(tenant_metadata())}\n"


def tenant_schema_script(migrations_dir: str) -> str:
    """Every table, index and trigger of a tenant schema as one script: the file's when its
    key matches, else compiled from the models."""
    try:
        with open(script_path(migrations_dir), encoding="utf-8") as fh:
            first_line, _, script = fh.read().partition("\n")
    except FileNotFoundError:
        first_line, script = "", ""
    if first_line == HEADER + source_key() and script.strip():
        return script
    return tenant_ddl(tenant_metadata())


def write(migrations_dir: str) -> str:
    path = script_path(migrations_dir)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render())
    return path


# --- compiling the script from the models ------------------------------------------------------
def tenant_ddl(metadata) -> str:
    """Everything `metadata.create_all` would send for the tenant tables (tables, indexes,
    the DDL hung on them such as the ledger's triggers), as one script; made once per set
    of tables."""
    return ";\n".join(tenant_ddl_statements(metadata))


def tenant_ddl_statements(metadata) -> tuple[str, ...]:
    return _ddl_for(metadata, tuple(sorted(metadata.tables)))


@lru_cache(maxsize=4)
def _ddl_for(metadata, tables: tuple[str, ...]) -> tuple[str, ...]:
    from sqlalchemy import create_mock_engine
    from sqlalchemy.dialects import postgresql

    # Compiled for a named paramstyle: the script goes without parameters, so a % in it (a
    # trigger's RAISE) must stay a single %.
    dialect = postgresql.dialect(paramstyle="named")
    statements: list[str] = []
    recorder = create_mock_engine(
        "postgresql://", lambda sql, *_a, **_kw: statements.append(str(sql.compile(dialect=dialect)).strip())
    )
    # The tables given in name order: create_all keeps it where foreign keys allow, so the
    # script does not depend on which module's models this process imported first.
    metadata.create_all(recorder, tables=[metadata.tables[name] for name in tables], checkfirst=False)
    return tuple(_indexes_in_name_order(statements))


def _indexes_in_name_order(statements: list[str]) -> list[str]:
    """SQLAlchemy creates a table's indexes in the order of a set, which changes from one
    process to the next; sorted by name within each run of them, the script is always the same
    text (the test compares the committed file with it), and means the same."""
    ordered: list[str] = []
    run: list[str] = []
    for statement in [*statements, ""]:
        if statement.startswith(("CREATE INDEX ", "CREATE UNIQUE INDEX ")):
            run.append(statement)
            continue
        ordered.extend(sorted(run, key=lambda s: s.split(" ON ", 1)[0].split()[-1]))
        run = []
        if statement:
            ordered.append(statement)
    return ordered


if __name__ == "__main__":
    from ..config import repository_root

    written = write(os.path.join(repository_root(), "migrations"))
    print(f"wrote {os.path.relpath(written)}", file=sys.stderr)
