from pathlib import Path

from django.db import migrations

# wijknet's own compiled tenant schema (tables, indexes, the ledger's triggers), the very
# script its provisioning runs; tests/platform/tenancy/test_schema_script.py keeps it current.
REPO = Path(__file__).resolve().parents[5]
SCHEMA = (REPO / "migrations" / "tenant" / "schema_at_head.sql").read_text()


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunSQL(SCHEMA, reverse_sql=migrations.RunSQL.noop)]
