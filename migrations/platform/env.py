"""Alembic environment for the `platform` schema."""

from alembic import context
from sqlalchemy import create_engine, text

from wijknet.platform.db import PLATFORM_SCHEMA, PlatformBase
from wijknet.platform.models import load_platform_models

load_platform_models()
config = context.config
target_metadata = PlatformBase.metadata


def run(connection):
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {PLATFORM_SCHEMA}"))
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=PLATFORM_SCHEMA,
        include_schemas=True,
        include_name=lambda name, type_, parent: type_ != "schema" or name == PLATFORM_SCHEMA,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from wijknet.platform.config import load_settings
    from wijknet.platform.devdb import resolve_database_url

    engine = create_engine(resolve_database_url(load_settings().database_url))
    with engine.begin() as conn:
        run(conn)
