"""shared assets: organisations (counterparties), assets with photos, dated shares that
sum to 100%, bookings that never overlap (an exclusion constraint), maintenance and damage,
calendar feeds

Revision ID: t0007
Revises: t0006
Create Date: 2026-11-25 12:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from wijknet.platform.sql_script import statements

revision = "t0007"
down_revision = "t0006"
branch_labels = None
depends_on = None

# As in tenants/assets/models.py at this revision (frozen here: a migration never changes).
SHARES_SQL = """CREATE FUNCTION asset_shares_check_total() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION asset_shares_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
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


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="other", nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('municipality', 'housing_corporation', 'insurer', 'business', 'foundation', 'other')",
            name=op.f("ck_organisations_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("location", sa.Text(), server_default="", nullable=False),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("status", sa.Text(), server_default="available", nullable=False),
        sa.Column("price_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("price_unit", sa.Text(), server_default="day", nullable=False),
        sa.Column("km_price_cents", sa.BigInteger(), nullable=True),
        sa.Column("rules", sa.Text(), server_default="", nullable=False),
        sa.Column("approval", sa.Text(), server_default="automatic", nullable=False),
        sa.Column("min_role", sa.Text(), server_default="member", nullable=False),
        sa.Column("max_days", sa.Integer(), server_default="14", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("approval IN ('automatic', 'admin')", name=op.f("ck_assets_approval_known")),
        sa.CheckConstraint("kind IN ('house', 'car', 'room', 'tool', 'other')", name=op.f("ck_assets_kind_known")),
        sa.CheckConstraint("price_unit IN ('hour', 'day', 'night', 'month')", name=op.f("ck_assets_price_unit_known")),
        sa.CheckConstraint("status IN ('available', 'maintenance', 'retired')", name=op.f("ck_assets_status_known")),
        sa.CheckConstraint("max_days BETWEEN 1 AND 366", name=op.f("ck_assets_max_days_sane")),
        sa.CheckConstraint(
            "price_cents >= 0 AND (km_price_cents IS NULL OR km_price_cents >= 0)", name=op.f("ck_assets_prices_not_negative")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_assets_created_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_table(
        "asset_bookings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("km_start", sa.Integer(), nullable=True),
        sa.Column("km_end", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.BigInteger(), nullable=True),
        sa.Column("fee_cents", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.BigInteger(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.text("int8range(asset_id, asset_id, '[]')"), "="),
            (sa.text("tstzrange(starts_at, ends_at, '[)')"), "&&"),
            where=sa.text("status IN ('requested', 'approved', 'checked_in', 'checked_out', 'completed')"),
            using="gist",
            name="no_double_booking",
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'checked_in', 'checked_out', 'completed', 'cancelled', 'declined')",
            name=op.f("ck_asset_bookings_status_known"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_asset_bookings_ends_after_start")),
        sa.CheckConstraint(
            "km_end IS NULL OR (km_start IS NOT NULL AND km_end >= km_start)", name=op.f("ck_asset_bookings_km_end_after_start")
        ),
        sa.CheckConstraint("km_start IS NULL OR km_start >= 0", name=op.f("ck_asset_bookings_km_start_not_negative")),
        sa.CheckConstraint("price_cents IS NULL OR price_cents >= 0", name=op.f("ck_asset_bookings_price_not_negative")),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_asset_bookings_asset_id_assets")),
        sa.ForeignKeyConstraint(["cancelled_by"], ["members.id"], name=op.f("fk_asset_bookings_cancelled_by_members")),
        sa.ForeignKeyConstraint(["decided_by"], ["members.id"], name=op.f("fk_asset_bookings_decided_by_members")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_asset_bookings_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_bookings")),
    )
    op.create_index("ix_asset_bookings_member_id_starts_at", "asset_bookings", ["member_id", "starts_at"], unique=False)
    op.create_table(
        "asset_calendar_feeds",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=True),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_calendar_feeds_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_asset_calendar_feeds_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_asset_calendar_feeds_token_hash")),
    )
    op.create_index(op.f("ix_asset_calendar_feeds_member_id"), "asset_calendar_feeds", ["member_id"], unique=False)
    op.create_table(
        "asset_photos",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_asset_photos_asset_id_assets"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by"], ["members.id"], name=op.f("fk_asset_photos_uploaded_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_photos")),
    )
    op.create_index(op.f("ix_asset_photos_asset_id"), "asset_photos", ["asset_id"], unique=False)
    op.create_table(
        "asset_shares",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("party", sa.Text(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(party = 'member' AND member_id IS NOT NULL AND organisation_id IS NULL) OR (party = 'organisation' AND organisation_id IS NOT NULL AND member_id IS NULL) OR (party = 'lab' AND member_id IS NULL AND organisation_id IS NULL)",
            name=op.f("ck_asset_shares_party_fits"),
        ),
        sa.CheckConstraint("party IN ('member', 'organisation', 'lab')", name=op.f("ck_asset_shares_party_known")),
        sa.CheckConstraint("basis_points BETWEEN 1 AND 10000", name=op.f("ck_asset_shares_basis_points_range")),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_asset_shares_asset_id_assets"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_asset_shares_created_by_members")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_asset_shares_member_id_members")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_asset_shares_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_shares")),
    )
    op.create_index("ix_asset_shares_asset_id_valid_from", "asset_shares", ["asset_id", "valid_from"], unique=False)
    op.create_table(
        "asset_maintenance",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("blocks", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.Column("reported_by", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('maintenance', 'damage')", name=op.f("ck_asset_maintenance_kind_known")),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name=op.f("ck_asset_maintenance_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_maintenance_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["asset_bookings.id"], name=op.f("fk_asset_maintenance_booking_id_asset_bookings")
        ),
        sa.ForeignKeyConstraint(["reported_by"], ["members.id"], name=op.f("fk_asset_maintenance_reported_by_members")),
        sa.ForeignKeyConstraint(["resolved_by"], ["members.id"], name=op.f("fk_asset_maintenance_resolved_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_maintenance")),
    )
    op.create_index(op.f("ix_asset_maintenance_asset_id"), "asset_maintenance", ["asset_id"], unique=False)

    for statement in statements(SHARES_SQL):  # one at a time: Citus passes each on to a worker
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "asset_calendar_feeds",
        "asset_maintenance",
        "asset_bookings",
        "asset_shares",
        "asset_photos",
        "assets",
        "organisations",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS asset_shares_check_total()")
    op.execute("DROP FUNCTION IF EXISTS asset_shares_refuse_change()")
