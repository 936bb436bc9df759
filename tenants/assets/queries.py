"""Reading shared assets: the list, one asset's calendar, someone's bookings, what a
contributor's assets earned, what is due to whom. The writing is in operations.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from wijknet.platform.db import contains_pattern
from wijknet.tenants.core.models import Member, Organisation
from wijknet.tenants.ledger.models import Account, LedgerEntry, LedgerLine

from .access import is_admin
from .models import HOLDING_STATUSES, Asset, AssetPhoto, AssetShare, Booking, MaintenanceEntry


def list_assets(
    session: Session, member: Member | None, *, kind: str | None = None, query: str = "", limit: int = 24, offset: int = 0
) -> tuple[list[tuple[Asset, str | None]], int]:
    """([(asset, its first photo's key)], total): retired ones only for admins."""
    where = [] if is_admin(member) else [Asset.status != "retired"]
    if kind:
        where.append(Asset.kind == kind)
    if query:
        pattern = contains_pattern(query)
        where.append(or_(Asset.name.ilike(pattern), Asset.description.ilike(pattern), Asset.location.ilike(pattern)))
    first_photo = (
        select(AssetPhoto.storage_key)
        .where(AssetPhoto.asset_id == Asset.id)
        .order_by(AssetPhoto.id)
        .limit(1)
        .correlate(Asset)
        .scalar_subquery()
    )
    total = session.scalar(select(func.count()).select_from(Asset).where(*where))
    rows = session.execute(
        select(Asset, first_photo)
        .where(*where)
        .order_by(Asset.status != "available", func.lower(Asset.name), Asset.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(asset, photo) for asset, photo in rows], total


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    kind: str  # "booking", "requested" (waiting for approval) or "blocked" (maintenance)
    booking_id: int | None = None  # shown to its booker and admins only
    mine: bool = False


def calendar(session: Session, asset_id: int, starts_at: datetime, ends_at: datetime, viewer: Member | None) -> list[Slot]:
    """What holds the asset between two moments: bookings (whose, only for the booker and
    admins) and blocking maintenance, in time order. The overlap query uses the same
    expressions as the exclusion constraint, so its GiST index answers it."""
    admin = is_admin(viewer)
    overlap = func.tstzrange(Booking.starts_at, Booking.ends_at, "[)").op("&&")(func.tstzrange(starts_at, ends_at, "[)"))
    bookings = session.execute(
        select(Booking.id, Booking.member_id, Booking.starts_at, Booking.ends_at, Booking.status)
        .where(
            func.int8range(Booking.asset_id, Booking.asset_id, "[]") == func.int8range(asset_id, asset_id, "[]"),
            overlap,
            Booking.status.in_(HOLDING_STATUSES),
        )
        .order_by(Booking.starts_at)
    ).all()
    slots = [
        Slot(
            starts_at=start,
            ends_at=end,
            kind="requested" if status == "requested" else "booking",
            booking_id=booking_id if admin or (viewer is not None and member_id == viewer.id) else None,
            mine=viewer is not None and member_id == viewer.id,
        )
        for booking_id, member_id, start, end, status in bookings
    ]
    blocks = session.execute(
        select(MaintenanceEntry.starts_at, MaintenanceEntry.ends_at).where(
            MaintenanceEntry.asset_id == asset_id,
            MaintenanceEntry.blocks,
            MaintenanceEntry.resolved_at.is_(None),
            MaintenanceEntry.starts_at < ends_at,
            or_(MaintenanceEntry.ends_at.is_(None), MaintenanceEntry.ends_at > starts_at),
        )
    ).all()
    slots += [
        Slot(starts_at=max(start, starts_at), ends_at=min(end or ends_at, ends_at), kind="blocked") for start, end in blocks
    ]
    return sorted(slots, key=lambda slot: slot.starts_at)


def bookings_of(
    session: Session, member: Member, *, upcoming: bool, now: datetime, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[Booking, Asset]], int]:
    where = [Booking.member_id == member.id, Booking.ends_at >= now if upcoming else Booking.ends_at < now]
    total = session.scalar(select(func.count()).select_from(Booking).where(*where))
    order = Booking.starts_at.asc() if upcoming else Booking.starts_at.desc()
    rows = session.execute(
        select(Booking, Asset)
        .join(Asset, Asset.id == Booking.asset_id)
        .where(*where)
        .order_by(order, Booking.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(b, a) for b, a in rows], total


def waiting_for_approval(session: Session, limit: int = 50) -> list[tuple[Booking, Asset, str]]:
    return [
        (booking, asset, name)
        for booking, asset, name in session.execute(
            select(Booking, Asset, Member.display_name)
            .join(Asset, Asset.id == Booking.asset_id)
            .join(Member, Member.id == Booking.member_id)
            .where(Booking.status.in_(("requested", "checked_out")))
            .order_by(Booking.starts_at)
            .limit(limit)
        )
    ]


def current_shares(session: Session, asset_id: int) -> list[tuple[AssetShare, str]]:
    """The shares in force now, with the contributor's name."""
    start = session.scalar(
        select(func.max(AssetShare.valid_from)).where(
            AssetShare.asset_id == asset_id, AssetShare.valid_from <= func.clock_timestamp()
        )
    )
    if start is None:
        return []
    rows = session.execute(
        select(AssetShare, Member.display_name, Organisation.name)
        .outerjoin(Member, Member.id == AssetShare.member_id)
        .outerjoin(Organisation, Organisation.id == AssetShare.organisation_id)
        .where(AssetShare.asset_id == asset_id, AssetShare.valid_from == start)
        .order_by(AssetShare.basis_points.desc(), AssetShare.id)
    ).all()
    return [(share, person or organisation or "") for share, person, organisation in rows]


@dataclass(frozen=True)
class Earning:
    asset: Asset
    basis_points: int  # the share in force now (0: no longer a contributor)
    earned_cents: int


def earnings_of(session: Session, party: str) -> tuple[list[Earning], int, int]:
    """([per asset], earned in all, still due) for a contributor ("member:12")."""
    account = f"payable:{party}"
    earned = dict(
        session.execute(
            select(LedgerLine.subject, -func.sum(LedgerLine.amount_cents))
            .join(Account, Account.id == LedgerLine.account_id)
            .where(Account.ref == account, LedgerLine.subject.is_not(None))
            .group_by(LedgerLine.subject)
        ).all()
    )
    kind, _, number = party.partition(":")
    owner = AssetShare.member_id if kind == "member" else AssetShare.organisation_id
    latest = (
        select(AssetShare.asset_id, func.max(AssetShare.valid_from).label("start"))
        .where(AssetShare.valid_from <= func.clock_timestamp())
        .group_by(AssetShare.asset_id)
        .subquery()
    )
    shares = dict(
        session.execute(
            select(AssetShare.asset_id, AssetShare.basis_points)
            .join(latest, and_(latest.c.asset_id == AssetShare.asset_id, latest.c.start == AssetShare.valid_from))
            .where(AssetShare.party == kind, owner == int(number))
        ).all()
    )
    asset_ids = set(shares) | {int(s.split(":")[1]) for s in earned if s and s.startswith("asset:")}
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(asset_ids)))} if asset_ids else {}
    rows = [Earning(assets[i], shares.get(i, 0), int(earned.get(f"asset:{i}", 0))) for i in sorted(assets)]
    total = sum(row.earned_cents for row in rows)
    due = -int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerLine.amount_cents), 0))
            .join(Account, Account.id == LedgerLine.account_id)
            .where(Account.ref == account)
        )
    )
    return rows, total, due


def payouts_due(session: Session) -> list[tuple[str, str, int]]:
    """[(party, account name, cents due)] of every contributor the lab owes money."""
    total = func.sum(LedgerLine.amount_cents)
    rows = session.execute(
        select(Account.ref, Account.name, total)
        .join(LedgerLine, LedgerLine.account_id == Account.id)
        .where(Account.ref.startswith("payable:"))
        .group_by(Account.id)
        .having(total < 0)
        .order_by(Account.name)
    ).all()
    return [(ref.removeprefix("payable:"), name, -int(amount)) for ref, name, amount in rows]


def maintenance_of(session: Session, asset_id: int, limit: int = 50) -> list[tuple[MaintenanceEntry, str | None]]:
    return [
        (entry, name)
        for entry, name in session.execute(
            select(MaintenanceEntry, Member.display_name)
            .outerjoin(Member, Member.id == MaintenanceEntry.reported_by)
            .where(MaintenanceEntry.asset_id == asset_id)
            .order_by(MaintenanceEntry.resolved_at.is_not(None), MaintenanceEntry.id.desc())
            .limit(limit)
        )
    ]


def booking_entries(session: Session, booking_id: int) -> list[LedgerEntry]:
    return session.scalars(
        select(LedgerEntry).where(LedgerEntry.source == f"booking:{booking_id}").order_by(LedgerEntry.id)
    ).all()
