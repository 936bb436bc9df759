"""Shared assets (in every tenant schema): the assets, their photos, who brought them in
(dated shares), bookings, the maintenance log and calendar feeds.

Rules the database keeps itself, whatever writes to it:
- no double booking: an exclusion constraint on (asset, time range) over every booking
  that holds its slot (requested, approved, checked in or out, completed); touching
  bookings (one ends when the next starts) do not overlap, ranges being half-open;
- the shares of an asset that start at the same moment sum to 100% (10,000 basis points),
  checked at commit; shares are never changed, a new set starts at a later moment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wijknet.platform.db import TenantBase
from wijknet.platform.sql_script import statements

ASSET_KINDS = ("house", "car", "room", "tool", "other")
ASSET_STATUSES = ("available", "maintenance", "retired")
PRICE_UNITS = ("hour", "day", "night", "month")
APPROVALS = ("automatic", "admin")
BOOKING_STATUSES = ("requested", "approved", "checked_in", "checked_out", "completed", "cancelled", "declined")
HOLDING_STATUSES = ("requested", "approved", "checked_in", "checked_out", "completed")  # hold their slot
PARTIES = ("member", "organisation", "lab")
MAINTENANCE_KINDS = ("maintenance", "damage")
FULL_SHARE = 10_000  # basis points: 100.00 %


class Asset(TenantBase):
    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint(f"kind IN {ASSET_KINDS!r}", name="kind_known"),
        CheckConstraint(f"status IN {ASSET_STATUSES!r}", name="status_known"),
        CheckConstraint(f"price_unit IN {PRICE_UNITS!r}", name="price_unit_known"),
        CheckConstraint(f"approval IN {APPROVALS!r}", name="approval_known"),
        CheckConstraint("price_cents >= 0 AND (km_price_cents IS NULL OR km_price_cents >= 0)", name="prices_not_negative"),
        CheckConstraint("max_days BETWEEN 1 AND 366", name="max_days_sane"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    location: Mapped[str] = mapped_column(Text, server_default="")
    # Per kind (schemas.ATTRIBUTES): a car's plate, seats and fuel; a house's address, rooms, accessibility.
    attributes: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(Text, server_default="available")
    price_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    price_unit: Mapped[str] = mapped_column(Text, server_default="day")
    km_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    rules: Mapped[str] = mapped_column(Text, server_default="")
    approval: Mapped[str] = mapped_column(Text, server_default="automatic")
    # Who may book: members of at least this role (moderator: only the lab's own people, say).
    min_role: Mapped[str] = mapped_column(Text, server_default="member")
    max_days: Mapped[int] = mapped_column(Integer, server_default="14")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class AssetPhoto(TenantBase):
    __tablename__ = "asset_photos"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssetShare(TenantBase):
    """Part of an asset, from `valid_from` on, belonging to a member, an organisation or the
    lab itself. The set with the latest `valid_from` not after a moment is the one in force."""

    __tablename__ = "asset_shares"
    __table_args__ = (
        CheckConstraint(f"party IN {PARTIES!r}", name="party_known"),
        CheckConstraint(f"basis_points BETWEEN 1 AND {FULL_SHARE}", name="basis_points_range"),
        CheckConstraint(
            "(party = 'member' AND member_id IS NOT NULL AND organisation_id IS NULL)"
            " OR (party = 'organisation' AND organisation_id IS NOT NULL AND member_id IS NULL)"
            " OR (party = 'lab' AND member_id IS NULL AND organisation_id IS NULL)",
            name="party_fits",
        ),
        Index("ix_asset_shares_asset_id_valid_from", "asset_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    party: Mapped[str] = mapped_column(Text)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    basis_points: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Booking(TenantBase):
    __tablename__ = "asset_bookings"
    __table_args__ = (
        CheckConstraint(f"status IN {BOOKING_STATUSES!r}", name="status_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("km_start IS NULL OR km_start >= 0", name="km_start_not_negative"),
        CheckConstraint("km_end IS NULL OR (km_start IS NOT NULL AND km_end >= km_start)", name="km_end_after_start"),
        CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_not_negative"),
        ExcludeConstraint(
            (func.int8range(text("asset_id"), text("asset_id"), text("'[]'")), "="),
            (func.tstzrange(text("starts_at"), text("ends_at"), text("'[)'")), "&&"),
            name="no_double_booking",
            using="gist",
            where=text(f"status IN {HOLDING_STATUSES!r}"),
        ),
        Index("ix_asset_bookings_member_id_starts_at", "member_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, server_default="")
    km_start: Mapped[int | None] = mapped_column(Integer)
    km_end: Mapped[int | None] = mapped_column(Integer)
    price_cents: Mapped[int | None] = mapped_column(BigInteger)
    fee_cents: Mapped[int | None] = mapped_column(BigInteger)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class MaintenanceEntry(TenantBase):
    """Maintenance done or planned, or damage reported. One that blocks keeps the asset from
    being booked from `starts_at` until it is resolved (or until `ends_at`, if planned)."""

    __tablename__ = "asset_maintenance"
    __table_args__ = (
        CheckConstraint(f"kind IN {MAINTENANCE_KINDS!r}", name="kind_known"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    blocks: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("asset_bookings.id"))
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CalendarFeed(TenantBase):
    """A secret iCalendar address: a member's own bookings, or one asset's bookings."""

    __tablename__ = "asset_calendar_feeds"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Shares of one moment sum to 100 % (also in migrations t0007 and t0011; tests compare the two).
SHARES_SQL = """
CREATE FUNCTION asset_shares_check_total() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  total bigint;
BEGIN
  SELECT coalesce(sum(basis_points), 0) INTO total FROM asset_shares
    WHERE asset_id = NEW.asset_id AND valid_from = NEW.valid_from;
  IF total <> 10000 THEN
    RAISE EXCEPTION 'the shares of asset % from % sum to % basis points, not 10000', NEW.asset_id, NEW.valid_from, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION asset_shares_refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM assets WHERE id = OLD.asset_id) THEN
    RETURN OLD;  -- the asset itself is being removed
  END IF;
  RAISE EXCEPTION 'shares are dated and never changed: start a new set instead' USING ERRCODE = 'restrict_violation';
END $$;

CREATE CONSTRAINT TRIGGER asset_shares_sum_to_whole AFTER INSERT ON asset_shares
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION asset_shares_check_total();
CREATE TRIGGER asset_shares_append_only BEFORE UPDATE OR DELETE ON asset_shares
  FOR EACH ROW EXECUTE FUNCTION asset_shares_refuse_change();
"""


@event.listens_for(AssetShare.__table__, "after_create")
def _create_share_rules(_table, connection, **_kw) -> None:
    for statement in statements(SHARES_SQL):
        connection.execute(text(statement))
