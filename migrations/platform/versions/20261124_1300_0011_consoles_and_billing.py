"""staff and tenant admin consoles, and billing: model labs for starter kits, last activity,
branding, staff tokens, the billing state of each lab and the Stripe events seen

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BILLING = "billing_status IN ('none', 'trialing', 'active', 'past_due', 'canceled')"


def upgrade() -> None:
    add = lambda *cols: [op.add_column("tenants", c, schema="platform") for c in cols]  # noqa: E731
    add(
        sa.Column("is_model", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("brand_colour", sa.Text(), nullable=True),
        sa.Column("logo_key", sa.Text(), nullable=True),
        sa.Column("welcome_text", sa.Text(), server_default="", nullable=False),
        sa.Column("billing_status", sa.Text(), server_default="trialing", nullable=False),
        sa.Column("trial_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("past_due_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stripe_customer_id", sa.Text(), nullable=True),
        sa.Column("stripe_subscription_id", sa.Text(), nullable=True),
        sa.Column("billing_updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE platform.tenants SET trial_ends_at = created_at + interval '90 days'")
    op.create_check_constraint(op.f("ck_tenants_billing_known"), "tenants", BILLING, schema="platform")
    op.create_check_constraint(
        op.f("ck_tenants_brand_colour_hex"), "tenants", "brand_colour ~ '^#[0-9a-f]{6}$'", schema="platform"
    )
    op.create_index("uq_tenants_stripe_customer_id", "tenants", ["stripe_customer_id"], unique=True, schema="platform")

    op.alter_column("api_tokens", "tenant_id", existing_type=sa.BigInteger(), nullable=True, schema="platform")
    op.add_column("api_tokens", sa.Column("scope", sa.Text(), server_default="tenant", nullable=False), schema="platform")
    op.create_check_constraint(
        op.f("ck_api_tokens_scope_fits"),
        "api_tokens",
        "(scope = 'tenant' AND tenant_id IS NOT NULL) OR (scope = 'staff' AND tenant_id IS NULL)",
        schema="platform",
    )

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
        schema="platform",
    )
    op.create_index(op.f("ix_stripe_events_tenant_id"), "stripe_events", ["tenant_id"], unique=False, schema="platform")


def downgrade() -> None:
    op.drop_index(op.f("ix_stripe_events_tenant_id"), table_name="stripe_events", schema="platform")
    op.drop_table("stripe_events", schema="platform")
    op.drop_constraint(op.f("ck_api_tokens_scope_fits"), "api_tokens", schema="platform", type_="check")
    op.drop_column("api_tokens", "scope", schema="platform")
    op.execute("DELETE FROM platform.api_tokens WHERE tenant_id IS NULL")
    op.alter_column("api_tokens", "tenant_id", existing_type=sa.BigInteger(), nullable=False, schema="platform")
    op.drop_index("uq_tenants_stripe_customer_id", table_name="tenants", schema="platform")
    op.drop_constraint(op.f("ck_tenants_brand_colour_hex"), "tenants", schema="platform", type_="check")
    op.drop_constraint(op.f("ck_tenants_billing_known"), "tenants", schema="platform", type_="check")
    for column in (
        "billing_updated_at",
        "stripe_subscription_id",
        "stripe_customer_id",
        "past_due_since",
        "trial_ends_at",
        "billing_status",
        "welcome_text",
        "logo_key",
        "brand_colour",
        "last_activity_at",
        "is_model",
    ):
        op.drop_column("tenants", column, schema="platform")
