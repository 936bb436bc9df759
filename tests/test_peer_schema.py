"""The peer of `make bench-peers` (bench/peers/django_tenants) provisions our tenant schema at
head from a generated script: when our schema changes, the script must be made again, or
the two sides of the comparison would no longer provision the same tables."""

import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "bench", "peers", "django_tenants", "make_schema.py")


def test_the_peers_tenant_schema_is_ours_at_head():
    spec = importlib.util.spec_from_file_location("make_schema", SCRIPT)
    make_schema = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_schema)
    with open(make_schema.TARGET) as fh:
        committed = fh.read()

    def statements(script: str) -> list[str]:
        # Tables and indexes come in no fixed order (the order in which this process first
        # imported the modules' models), so whichever is last keeps the script's final ";".
        return sorted(part.strip().removesuffix(";") for part in script.split(";\n\n"))

    assert statements(committed) == statements(make_schema.schema_sql()), (
        "our tenant schema changed: run .venv/bin/python bench/peers/django_tenants/make_schema.py"
    )
    assert committed.count("CREATE TABLE") >= 30 and "ledger_lines_append_only" in committed
