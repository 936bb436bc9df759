"""joining a living lab: join policy, invitations, join requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("join_policy", sa.Text(), server_default="invite_only", nullable=False), schema="platform")
    op.create_check_constraint(
        op.f("ck_tenants_join_policy_known"), "tenants", "join_policy IN ('invite_only', 'open', 'approval')", schema="platform"
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("invited_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("role IN ('member', 'moderator', 'admin')", name=op.f("ck_invitations_role_known")),
        sa.ForeignKeyConstraint(
            ["accepted_by"], ["platform.users.id"], name=op.f("fk_invitations_accepted_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["platform.users.id"], name=op.f("fk_invitations_invited_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["platform.tenants.id"], name=op.f("fk_invitations_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
        schema="platform",
    )
    op.create_index(op.f("ix_invitations_tenant_id"), "invitations", ["tenant_id"], unique=False, schema="platform")
    op.create_table(
        "join_requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("decision IN ('approved', 'declined')", name=op.f("ck_join_requests_decision_known")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["platform.users.id"], name=op.f("fk_join_requests_decided_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["platform.tenants.id"], name=op.f("fk_join_requests_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["platform.users.id"], name=op.f("fk_join_requests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_requests")),
        sa.UniqueConstraint("tenant_id", "user_id", name=op.f("uq_join_requests_tenant_id_user_id")),
        schema="platform",
    )
    op.create_index(op.f("ix_join_requests_tenant_id"), "join_requests", ["tenant_id"], unique=False, schema="platform")


def downgrade() -> None:
    op.drop_index(op.f("ix_join_requests_tenant_id"), table_name="join_requests", schema="platform")
    op.drop_table("join_requests", schema="platform")
    op.drop_index(op.f("ix_invitations_tenant_id"), table_name="invitations", schema="platform")
    op.drop_table("invitations", schema="platform")
    op.drop_constraint(op.f("ck_tenants_join_policy_known"), "tenants", schema="platform")
    op.drop_column("tenants", "join_policy", schema="platform")
