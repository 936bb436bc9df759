"""tenant roles cannot read the table statistics of other tenants (when run by a superuser)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 09:20:00

The statistics views (live and dead row counts, scans, sizes per table) show every table of
the database to every role. They are owned by the bootstrap superuser, so only a superuser
can take them away from PUBLIC: this does so when the migration runs as one (the embedded
database, the tests) and otherwise leaves a notice; docs/security.md gives the statements
for a superuser to run once. What stays visible to any role (the list of roles, table names
and row estimates in pg_class) is listed there too.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

VIEWS = (
    "pg_stat_all_tables",
    "pg_stat_user_tables",
    "pg_stat_xact_all_tables",
    "pg_stat_xact_user_tables",
    "pg_statio_all_tables",
    "pg_statio_user_tables",
    "pg_stat_all_indexes",
    "pg_stat_user_indexes",
    "pg_statio_all_indexes",
    "pg_statio_user_indexes",
    "pg_statio_all_sequences",
    "pg_statio_user_sequences",
)


def _each(statement: str) -> str:
    views = ", ".join(f"pg_catalog.{v}" for v in VIEWS)
    return f"""
        DO $$ BEGIN
            IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                {statement.format(views=views)};
            ELSE
                RAISE NOTICE 'not a superuser: table statistics stay readable by every role (docs/security.md)';
            END IF;
        END $$
    """


def upgrade() -> None:
    op.execute(_each("REVOKE SELECT ON {views} FROM PUBLIC"))


def downgrade() -> None:
    op.execute(_each("GRANT SELECT ON {views} TO PUBLIC"))
