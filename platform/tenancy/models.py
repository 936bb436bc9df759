"""Platform tables of the tenant registry: tenants, domains, module settings, staff audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Index, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import PlatformBase

TENANT_TYPES = ("wijkbedrijf", "cooperative", "social_cooperative", "other")
TENANT_STATUSES = ("provisioning", "active", "suspended", "deleting")
PLANS = ("pilot", "buurt", "netwerk")
JOIN_POLICIES = ("invite_only", "open", "approval")
BILLING_STATUSES = ("none", "trialing", "active", "past_due", "canceled")


class Tenant(PlatformBase):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(f"type IN {TENANT_TYPES!r}", name="type_known"),
        CheckConstraint(f"status IN {TENANT_STATUSES!r}", name="status_known"),
        CheckConstraint(f"plan IN {PLANS!r}", name="plan_known"),
        CheckConstraint(r"slug ~ '^[a-z][a-z0-9-]{2,39}$'", name="slug_format"),
        CheckConstraint(f"join_policy IN {JOIN_POLICIES!r}", name="join_policy_known"),
        # Finding the tenants a migration run must visit is one indexed query.
        Index("ix_tenants_schema_version", "schema_version"),
        CheckConstraint(f"billing_status IN {BILLING_STATUSES!r}", name="billing_known"),
        CheckConstraint("brand_colour ~ '^#[0-9a-f]{6}$'", name="brand_colour_hex"),
        Index("uq_tenants_stripe_customer_id", "stripe_customer_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text, server_default="other")
    region: Mapped[str] = mapped_column(Text, server_default="")
    tagline: Mapped[str] = mapped_column(Text, server_default="")
    plan: Mapped[str] = mapped_column(Text, server_default="pilot")
    status: Mapped[str] = mapped_column(Text, server_default="provisioning")
    join_policy: Mapped[str] = mapped_column(Text, server_default="invite_only")
    # Tenant -> schema mapping, kept apart from the domain -> tenant mapping (SPEC §2.1).
    schema_name: Mapped[str] = mapped_column(Text, unique=True)
    role_name: Mapped[str] = mapped_column(Text, unique=True)
    schema_version: Mapped[str | None] = mapped_column(Text)
    migration_error: Mapped[str | None] = mapped_column(Text)
    migration_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
    # A model living lab's modules and settings can be copied into a new one (starter kit).
    is_model: Mapped[bool] = mapped_column(server_default=text("false"))
    # Updated at most every few minutes by requests of signed-in people (staff console).
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Branding (tenant admin console): colour as #rrggbb with enough contrast, a logo in storage.
    brand_colour: Mapped[str | None] = mapped_column(Text)
    logo_key: Mapped[str | None] = mapped_column(Text)
    welcome_text: Mapped[str] = mapped_column(Text, server_default="")
    # Billing (platform/billing): the state Stripe reports, and since when payment is overdue.
    billing_status: Mapped[str] = mapped_column(Text, server_default="trialing")
    trial_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    past_due_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stripe_customer_id: Mapped[str | None] = mapped_column(Text)
    stripe_subscription_id: Mapped[str | None] = mapped_column(Text)
    billing_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def overdue_since(self) -> datetime | None:
        """Since when this lab should have paid: overdue, canceled, or a trial that ended
        without a subscription. The switch (platform.enter_tenant, platform migration 0012) computes the same in SQL."""
        if self.billing_status in ("past_due", "canceled"):
            return self.past_due_since
        if self.billing_status == "trialing" and self.stripe_subscription_id is None:
            return self.trial_ends_at
        return None


class Domain(PlatformBase):
    """A host name served as a tenant's pages (custom domain)."""

    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    host: Mapped[str] = mapped_column(Text, unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ModuleSetting(PlatformBase):
    __tablename__ = "module_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    module: Mapped[str] = mapped_column(Text, primary_key=True)
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    settings: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class StaffAuditEntry(PlatformBase):
    """What network staff (or an operator at the CLI) did to a tenant. Append only."""

    __tablename__ = "staff_audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    # No foreign key: the entry outlives a deleted tenant.
    tenant_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    tenant_slug: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class StripeEvent(PlatformBase):
    """A Stripe webhook event, recorded once (its id): a replayed event changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    type: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    tenant_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    outcome: Mapped[str] = mapped_column(Text)
