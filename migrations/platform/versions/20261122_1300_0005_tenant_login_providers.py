"""tenant_login_providers: OpenID providers added by a tenant admin (secret encrypted)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_login_providers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["platform.users.id"], name=op.f("fk_tenant_login_providers_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["platform.tenants.id"], name=op.f("fk_tenant_login_providers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_login_providers")),
        schema="platform",
    )
    op.create_index(
        op.f("ix_tenant_login_providers_tenant_id"), "tenant_login_providers", ["tenant_id"], unique=False, schema="platform"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_tenant_login_providers_tenant_id"), table_name="tenant_login_providers", schema="platform")
    op.drop_table("tenant_login_providers", schema="platform")
