"""Global users and their memberships of tenants (platform schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Text, UniqueConstraint, func, text
from sqlalchemy import Identity as IdentityColumn
from sqlalchemy.orm import Mapped, mapped_column

from ..db import PlatformBase

MEMBER_ROLES = ("member", "moderator", "admin")


class User(PlatformBase):
    """A person. Network users (`tenant_id` NULL) sign in through the network's providers and
    may belong to several living labs. A user made by the first login through a living lab's
    own provider belongs to that lab alone (`tenant_id`): never staff, never a member
    elsewhere, never linked to another account by email (docs/decisions/0003)."""

    __tablename__ = "users"
    __table_args__ = (
        # Email addresses are unique among network users, and among the users of one lab's
        # own providers; a lab's provider cannot take a network user's address.
        Index("uq_users_email_lower", text("lower(email)"), unique=True, postgresql_where=text("tenant_id IS NULL")),
        Index(
            "uq_users_tenant_id_email_lower",
            "tenant_id",
            text("lower(email)"),
            unique=True,
            postgresql_where=text("tenant_id IS NOT NULL"),
        ),
        CheckConstraint("NOT (is_staff AND tenant_id IS NOT NULL)", name="staff_is_network_wide"),
    )

    id: Mapped[int] = mapped_column(BigInteger, IdentityColumn(), primary_key=True)
    email: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    is_staff: Mapped[bool] = mapped_column(server_default=text("false"))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # Bumped at sign-out: every session cookie issued before it stops working.
    session_generation: Mapped[int] = mapped_column(server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Membership(PlatformBase):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        CheckConstraint(f"role IN {MEMBER_ROLES!r}", name="role_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, IdentityColumn(), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(Text, server_default="member")
    organisation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Identity(PlatformBase):
    """A login at an OpenID provider, linked to a user by issuer + subject (never email alone).

    `tenant_id` is set for a living lab's own provider: the same issuer and subject through
    another lab's provider, or the network's, is another identity."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", "tenant_id", postgresql_nulls_not_distinct=True),)

    id: Mapped[int] = mapped_column(BigInteger, IdentityColumn(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiToken(PlatformBase):
    """A personal access token for one tenant's API, or (staff) for the staff API. Only its
    SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'tenant' AND tenant_id IS NOT NULL) OR (scope = 'staff' AND tenant_id IS NULL)", name="scope_fits"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, IdentityColumn(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # A token is for one lab's API (scope tenant), or for the staff API (scope staff, no lab).
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(Text, server_default="tenant")
    name: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    prefix: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invitation(PlatformBase):
    """A single-use, expiring link that gives a role in one tenant. Only its hash is stored."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(f"role IN {MEMBER_ROLES!r}", name="role_known"),)

    id: Mapped[int] = mapped_column(BigInteger, IdentityColumn(), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class JoinRequest(PlatformBase):
    """Someone asked to join a tenant whose policy is open-with-approval."""

    __tablename__ = "join_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        CheckConstraint("decision IN ('approved', 'declined')", name="decision_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, IdentityColumn(), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decision: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TenantLoginProvider(PlatformBase):
    """An OpenID provider a tenant admin added for their living lab. The secret is encrypted."""

    __tablename__ = "tenant_login_providers"

    id: Mapped[int] = mapped_column(BigInteger, IdentityColumn(), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(Text)
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AccountClaim(PlatformBase):
    """A single-use, expiring link with which a person takes an account an operator made
    for them (`wijknet users add`): their first login through it is linked to that account.
    Only its hash is stored."""

    __tablename__ = "account_claims"

    id: Mapped[int] = mapped_column(BigInteger, IdentityColumn(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
