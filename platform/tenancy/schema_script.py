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
    from .provisioning import tenant_ddl

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
    from .provisioning import tenant_ddl

    return tenant_ddl(tenant_metadata())


def write(migrations_dir: str) -> str:
    path = script_path(migrations_dir)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render())
    return path


if __name__ == "__main__":
    from ..config import repository_root

    written = write(os.path.join(repository_root(), "migrations"))
    print(f"wrote {os.path.relpath(written)}", file=sys.stderr)
