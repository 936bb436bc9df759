"""The tenant schema's compiled script (migrations/tenant/schema_at_head.sql): current, used
by provisioning when its key matches what is installed, and never when it does not."""

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from tests.modules.hello import module as hello_module
from wijknet.platform.modules import registry
from wijknet.platform.tenancy import schema_script
from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant

MIGRATIONS = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "migrations"))
MARKER = "CREATE TABLE only_in_the_script (id bigint PRIMARY KEY)"

pytestmark = pytest.mark.tenancy


def test_the_committed_script_is_what_the_models_make():
    with open(schema_script.script_path(MIGRATIONS), encoding="utf-8") as fh:
        committed = fh.read()
    assert committed == schema_script.render(), "the tenant models changed: run `make tenant-schema` and commit the file"


def _migrations_with_script(tmp_path, first_line: str) -> str:
    """A copy of the migrations whose script has an extra table (to see which one ran)."""
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy)
    current = Path(schema_script.script_path(MIGRATIONS)).read_text(encoding="utf-8").partition("\n")[2]
    with open(schema_script.script_path(str(copy)), "w", encoding="utf-8") as fh:
        fh.write(f"{first_line}\n{current};\n{MARKER}\n")
    return str(copy)


def _tables(engine, slug: str) -> set[str]:
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT schema_name FROM platform.tenants WHERE slug = :s"), {"s": slug}).scalar_one()
        return set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}).scalars())


def test_provisioning_runs_the_script_when_its_key_matches(engine, prefix, tmp_path):
    migrations = _migrations_with_script(tmp_path, schema_script.HEADER + schema_script.source_key())
    provision_tenant(engine, TenantSpec(slug="script-used", name="Script"), role_prefix=prefix, migrations_dir=migrations)
    tables = _tables(engine, "script-used")
    assert "only_in_the_script" in tables
    assert {"members", "board_posts", "assets", "contracts", "ledger_entries"} <= tables


@pytest.mark.parametrize(
    "first_line",
    [
        schema_script.HEADER + "assets,board,contracts,ledger 0000000000deadbeef00",  # model files changed since
        schema_script.HEADER + "board 0000000000deadbeef00",  # other modules
        "-- no key at all",
    ],
)
def test_a_script_made_from_other_models_is_not_used(engine, prefix, tmp_path, first_line):
    migrations = _migrations_with_script(tmp_path, first_line)
    slug = f"script-stale-{abs(hash(first_line)) % 10_000}"
    provision_tenant(engine, TenantSpec(slug=slug, name="Stale"), role_prefix=prefix, migrations_dir=migrations)
    tables = _tables(engine, slug)
    assert "only_in_the_script" not in tables
    assert {"members", "board_posts", "assets", "contracts", "ledger_entries"} <= tables


def test_without_the_file_provisioning_compiles_the_models(engine, prefix, tmp_path):
    migrations = _migrations_with_script(tmp_path, "")
    os.remove(schema_script.script_path(migrations))
    provision_tenant(engine, TenantSpec(slug="script-none", name="None"), role_prefix=prefix, migrations_dir=migrations)
    assert {"members", "board_posts", "assets", "contracts", "ledger_entries"} <= _tables(engine, "script-none")


def test_the_key_follows_the_model_files(monkeypatch, tmp_path):
    key = schema_script.source_key()
    assert key.startswith("assets,board,contracts,ledger ")
    real = schema_script.find_spec
    edited = tmp_path / "models.py"  # the board's models with one line more
    edited.write_text(Path(real("wijknet.tenants.board.models").origin).read_text(encoding="utf-8") + "\n# one more line\n")
    monkeypatch.setattr(
        schema_script,
        "find_spec",
        lambda name: SimpleNamespace(origin=str(edited)) if name.endswith("board.models") else real(name),
    )
    assert schema_script.source_key() != key


def test_the_key_follows_the_installed_modules():
    key = schema_script.source_key()
    remove = registry.register(hello_module)
    try:
        assert schema_script.source_key().startswith("assets,board,contracts,hello,ledger ")
    finally:
        remove()
    assert schema_script.source_key() == key
