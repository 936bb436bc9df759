"""platform schema: tenants, domains, users, memberships, module settings, staff audit

Revision ID: 0001
Revises:
Create Date: 2026-11-22 11:46:46.191955
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing of ours lives in `public`; tenant roles get no foothold there.
    op.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    op.create_table(
        "staff_audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_slug", sa.Text(), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_audit_log")),
        schema="platform",
    )
    op.create_index(op.f("ix_staff_audit_log_tenant_id"), "staff_audit_log", ["tenant_id"], unique=False, schema="platform")
    op.create_table(
        "tenants",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), server_default="other", nullable=False),
        sa.Column("region", sa.Text(), server_default="", nullable=False),
        sa.Column("tagline", sa.Text(), server_default="", nullable=False),
        sa.Column("plan", sa.Text(), server_default="pilot", nullable=False),
        sa.Column("status", sa.Text(), server_default="provisioning", nullable=False),
        sa.Column("schema_name", sa.Text(), nullable=False),
        sa.Column("role_name", sa.Text(), nullable=False),
        sa.Column("schema_version", sa.Text(), nullable=True),
        sa.Column("migration_error", sa.Text(), nullable=True),
        sa.Column("migration_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("plan IN ('pilot', 'buurt', 'netwerk')", name=op.f("ck_tenants_plan_known")),
        sa.CheckConstraint("slug ~ '^[a-z][a-z0-9-]{2,39}$'", name=op.f("ck_tenants_slug_format")),
        sa.CheckConstraint("status IN ('provisioning', 'active', 'suspended')", name=op.f("ck_tenants_status_known")),
        sa.CheckConstraint(
            "type IN ('wijkbedrijf', 'cooperative', 'social_cooperative', 'other')", name=op.f("ck_tenants_type_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("role_name", name=op.f("uq_tenants_role_name")),
        sa.UniqueConstraint("schema_name", name=op.f("uq_tenants_schema_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
        schema="platform",
    )
    op.create_index("ix_tenants_schema_version", "tenants", ["schema_version"], unique=False, schema="platform")
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("is_staff", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        schema="platform",
    )
    op.create_index("uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True, schema="platform")
    op.create_table(
        "domains",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["platform.tenants.id"], name=op.f("fk_domains_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("host", name=op.f("uq_domains_host")),
        schema="platform",
    )
    op.create_index(op.f("ix_domains_tenant_id"), "domains", ["tenant_id"], unique=False, schema="platform")
    op.create_table(
        "memberships",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.Text(), server_default="member", nullable=False),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('member', 'moderator', 'admin')", name=op.f("ck_memberships_role_known")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["platform.tenants.id"], name=op.f("fk_memberships_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["platform.users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("tenant_id", "user_id", name=op.f("uq_memberships_tenant_id_user_id")),
        schema="platform",
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"], unique=False, schema="platform")
    op.create_table(
        "module_settings",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("module", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("settings", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["platform.tenants.id"], name=op.f("fk_module_settings_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "module", name=op.f("pk_module_settings")),
        schema="platform",
    )


def downgrade() -> None:
    op.drop_table("module_settings", schema="platform")
    op.drop_index(op.f("ix_memberships_user_id"), table_name="memberships", schema="platform")
    op.drop_table("memberships", schema="platform")
    op.drop_index(op.f("ix_domains_tenant_id"), table_name="domains", schema="platform")
    op.drop_table("domains", schema="platform")
    op.drop_index("uq_users_email_lower", table_name="users", schema="platform")
    op.drop_table("users", schema="platform")
    op.drop_index("ix_tenants_schema_version", table_name="tenants", schema="platform")
    op.drop_table("tenants", schema="platform")
    op.drop_index(op.f("ix_staff_audit_log_tenant_id"), table_name="staff_audit_log", schema="platform")
    op.drop_table("staff_audit_log", schema="platform")
    op.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
