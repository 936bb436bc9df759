"""jobs: procrastinate's tables in their own schema; dev_outbox for the development mailer

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00

procrastinate's schema is applied from the installed package (the version pinned in
constraints.txt). When procrastinate is upgraded, a later revision applies its migration
files between the two versions (procrastinate.schema.SchemaManager.get_migrations_path()).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JOBS_SCHEMA = "jobs"


def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    op.execute(f"CREATE SCHEMA {JOBS_SCHEMA}")
    op.execute(f"SET LOCAL search_path TO {JOBS_SCHEMA}")
    op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    op.execute("SET LOCAL search_path TO DEFAULT")
    op.create_table(
        "dev_outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dev_outbox")),
        schema="platform",
    )


def downgrade() -> None:
    op.drop_table("dev_outbox", schema="platform")
    op.execute(f"DROP SCHEMA {JOBS_SCHEMA} CASCADE")
