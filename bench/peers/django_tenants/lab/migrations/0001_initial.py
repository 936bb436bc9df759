from pathlib import Path

from django.db import migrations

import lab

SCHEMA = (Path(lab.__file__).resolve().parent / "tenant_schema.sql").read_text()


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunSQL(SCHEMA, reverse_sql=migrations.RunSQL.noop)]
