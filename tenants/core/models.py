"""Tables every tenant schema has: its members (synced from the platform), audit log,
request keys and the organisations it works with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wijknet.platform.db import TenantBase


class Member(TenantBase):
    """A person of this living lab, as tenant pages see them (SPEC §2.1: no joins to platform)."""

    __tablename__ = "members"
    __table_args__ = (CheckConstraint("role IN ('member', 'moderator', 'admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # The platform user's id; deliberately no foreign key (Citus, export, restore).
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, server_default="member")
    organisation: Mapped[str | None] = mapped_column(Text)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
    # Set when the platform membership ends; the row stays, so what they wrote stays theirs.
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RequestKey(TenantBase):
    """A form's or API client's once-only key for one change (Idempotency-Key): the second
    submit of the same key gets the first one's answer instead of a second change."""

    __tablename__ = "request_keys"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    action: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column()
    location: Mapped[str | None] = mapped_column(Text)
    body: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class TenantAuditEntry(TenantBase):
    """What happened in this living lab and who did it. Append only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    actor_member_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # Set when the platform wrote it after its own commit (tenancy/follow_up.py): once only.
    ref: Mapped[str | None] = mapped_column(Text, unique=True, index=True)


ORGANISATION_KINDS = ("municipality", "housing_corporation", "insurer", "business", "foundation", "other")


class Organisation(TenantBase):
    """A counterparty of the lab (municipality, housing corporation, insurer, business,
    foundation): it can bring in a shared asset, or sign a contract with the lab."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(f"kind IN {ORGANISATION_KINDS!r}", name="kind_known"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text, server_default="other")
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
