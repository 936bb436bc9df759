"""audit entries written by a platform follow-up carry its key, so writing one twice keeps one

Revision ID: t0005
Revises: t0004
Create Date: 2026-11-24 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "t0005"
down_revision = "t0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("ref", sa.Text(), nullable=True))
    op.create_index(op.f("ix_audit_log_ref"), "audit_log", ["ref"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_ref"), table_name="audit_log")
    op.drop_column("audit_log", "ref")
