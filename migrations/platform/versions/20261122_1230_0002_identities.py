"""identities: OpenID Connect logins linked to users by issuer + subject

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["platform.users.id"], name=op.f("fk_identities_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_identities_issuer_subject")),
        schema="platform",
    )
    op.create_index(op.f("ix_identities_user_id"), "identities", ["user_id"], unique=False, schema="platform")


def downgrade() -> None:
    op.drop_index(op.f("ix_identities_user_id"), table_name="identities", schema="platform")
    op.drop_table("identities", schema="platform")
