from django.conf import settings
from django.db import migrations

# wijknet's own compiled tenant schema (tables, indexes, the ledger's triggers), the very
# script its provisioning runs; tests/platform/tenancy/test_schema_script.py keeps it current.
# Its place comes from the settings: make bench-peers runs this file from a copy.
SCHEMA = settings.WIJKNET_TENANT_SCHEMA.read_text()


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunSQL(SCHEMA, reverse_sql=migrations.RunSQL.noop)]
