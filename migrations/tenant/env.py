"""Alembic environment for tenant schemas.

`wijknet db upgrade` does not go through this file: it runs tenant migrations itself, per
tenant, as the tenant's role (platform/tenancy/migrate.py). This file serves `alembic
revision --autogenerate` against one tenant: `-x schema=t_000001`.
"""

from alembic import context
from sqlalchemy import create_engine, text

from wijknet.platform.modules import tenant_metadata

config = context.config
schema = context.get_x_argument(as_dictionary=True).get("schema")
if not schema:
    raise SystemExit("Give the tenant schema to compare against: -x schema=t_000001")

from wijknet.platform.config import load_settings  # noqa: E402
from wijknet.platform.devdb import resolve_database_url  # noqa: E402

engine = create_engine(resolve_database_url(load_settings().database_url))
with engine.begin() as conn:
    conn.execute(text("SELECT set_config('search_path', :s, true)"), {"s": '"' + schema + '"'})
    context.configure(connection=conn, target_metadata=tenant_metadata(), version_table_schema=schema)
    with context.begin_transaction():
        context.run_migrations()
