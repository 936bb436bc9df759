"""Shared assets, one function per action: assets and their photos, who brought them in,
bookings from request to completion (or cancellation), the price and its split over the
contributors in the wijkboekhouding, payouts, maintenance and damage, calendar feeds.

Each action checks who may do it, refuses with a clear message (AssetError: a stable code,
a status, a message per field), flushes, and writes its audit record. The database keeps
the two rules no code may forget: no double booking, shares that sum to 100 %."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wijknet.platform.identity.tokens import token_hash
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.tenants.core.access import has_rank
from wijknet.tenants.core.models import Member, Organisation
from wijknet.tenants.core.operations import record
from wijknet.tenants.core.time import tenant_zone
from wijknet.tenants.ledger.operations import Line, balance, ensure_account, post_entry, reverse_source

from .access import is_admin
from .models import (
    FULL_SHARE,
    Asset,
    AssetPhoto,
    AssetShare,
    Booking,
    CalendarFeed,
    MaintenanceEntry,
)
from .pricing import booking_price, split
from .schemas import AssetError, AssetIn, BookingIn, CheckOutIn, KilometresIn, MaintenanceIn, ReasonIn, SharesIn, load

MAX_PHOTOS = 12
PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_SIDE = 1600
EARLY_CHECK_IN = timedelta(hours=1)
PAST_SLACK = timedelta(minutes=15)
MAX_AHEAD = timedelta(days=366)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def _admin_only(member: Member) -> None:
    if not is_admin(member):
        raise AssetError(_l("Only an administrator of the living lab can do that."), status=403, code="assets.admin_only")


# --- assets ---------------------------------------------------------------------------------------
def create_asset(session: Session, admin: Member, data: dict) -> Asset:
    _admin_only(admin)
    values = load(AssetIn, data, code="assets.asset_invalid")
    asset = Asset(**values, created_by=admin.id)
    session.add(asset)
    session.flush()
    record(session, "assets.asset.created", actor_member_id=admin.id, asset_id=asset.id, kind=asset.kind)
    return asset


def update_asset(session: Session, asset: Asset, admin: Member, data: dict) -> Asset:
    """The whole asset, as sent (a form sends every field); its kind stays what it was."""
    _admin_only(admin)
    values = load(AssetIn, {**data, "kind": asset.kind}, code="assets.asset_invalid")
    changed = sorted(key for key, value in values.items() if getattr(asset, key) != value)
    for key in changed:
        setattr(asset, key, values[key])
    session.flush()
    if changed:
        record(session, "assets.asset.updated", actor_member_id=admin.id, asset_id=asset.id, changed=changed)
    return asset


def add_photo(session: Session, asset: Asset, admin: Member, data: bytes) -> AssetPhoto:
    from wijknet.platform.storage import clean_image, storage

    _admin_only(admin)
    if session.scalar(select(func.count()).select_from(AssetPhoto).where(AssetPhoto.asset_id == asset.id)) >= MAX_PHOTOS:
        raise AssetError.on_field(
            "photo", _l("An asset has at most %(num)d photos.", num=MAX_PHOTOS), code="assets.too_many_photos", status=409
        )
    cleaned, kind = clean_image(data, max_bytes=PHOTO_BYTES, max_side=PHOTO_SIDE, field="photo")  # UploadError: 413/415
    photo = AssetPhoto(asset_id=asset.id, storage_key=storage().save(cleaned, kind), uploaded_by=admin.id)
    session.add(photo)
    session.flush()
    record(session, "assets.photo.added", actor_member_id=admin.id, asset_id=asset.id, photo_id=photo.id)
    return photo


def remove_photo(session: Session, asset: Asset, admin: Member, photo_id: int) -> None:
    _admin_only(admin)
    photo = session.scalars(select(AssetPhoto).where(AssetPhoto.id == photo_id, AssetPhoto.asset_id == asset.id)).one_or_none()
    if photo is None:
        raise AssetError(_l("There is no such photo."), status=404, code="assets.photo_not_found")
    session.delete(photo)
    session.flush()
    record(session, "assets.photo.removed", actor_member_id=admin.id, asset_id=asset.id, photo_id=photo_id)


# --- who brought it in ----------------------------------------------------------------------------
def party_key(share) -> str:
    """ "member:12", "organisation:3" or "lab": whose part a share is."""
    if share.party == "member":
        return f"member:{share.member_id}"
    if share.party == "organisation":
        return f"organisation:{share.organisation_id}"
    return "lab"


def set_shares(session: Session, asset: Asset, admin: Member, data: dict, *, now: datetime | None = None) -> list[AssetShare]:
    """A new set of shares, in force from now on; bookings before it keep the set of their time."""
    _admin_only(admin)
    shares = load(SharesIn, data, code="assets.shares_invalid")["shares"]
    errors = {}
    for i, share in enumerate(shares):
        if share["party"] == "member":
            ok = share["member_id"] and session.scalar(
                select(Member.id).where(Member.id == share["member_id"], Member.left_at.is_(None))
            )
            share["organisation_id"] = None
        elif share["party"] == "organisation":
            ok = share["organisation_id"] and session.get(Organisation, share["organisation_id"]) is not None
            share["member_id"] = None
        else:
            ok, share["member_id"], share["organisation_id"] = True, None, None
        if not ok:
            errors[f"shares.{i}"] = [_l("Choose a member or an organisation of this living lab.")]
    if errors:
        raise AssetError(_l("Please correct the marked fields."), code="assets.shares_invalid", errors=errors)
    moment = _now(now)
    rows = [AssetShare(asset_id=asset.id, valid_from=moment, created_by=admin.id, **share) for share in shares]
    session.add_all(rows)
    session.flush()
    record(
        session,
        "assets.shares.set",
        actor_member_id=admin.id,
        asset_id=asset.id,
        shares={party_key(s): s.basis_points for s in rows},
    )
    return rows


def shares_at(session: Session, asset_id: int, moment: datetime) -> dict[str, int]:
    """{party: basis points} in force at `moment`; the lab holds what nobody brought in."""
    start = session.scalar(
        select(func.max(AssetShare.valid_from)).where(AssetShare.asset_id == asset_id, AssetShare.valid_from <= moment)
    )
    if start is None:
        return {"lab": FULL_SHARE}
    rows = session.scalars(select(AssetShare).where(AssetShare.asset_id == asset_id, AssetShare.valid_from == start)).all()
    return {party_key(row): row.basis_points for row in rows}


# --- bookings -------------------------------------------------------------------------------------
def _blocked(session: Session, asset_id: int, starts_at: datetime, ends_at: datetime) -> MaintenanceEntry | None:
    return session.scalars(
        select(MaintenanceEntry)
        .where(
            MaintenanceEntry.asset_id == asset_id,
            MaintenanceEntry.blocks,
            MaintenanceEntry.resolved_at.is_(None),
            MaintenanceEntry.starts_at < ends_at,
            or_(MaintenanceEntry.ends_at.is_(None), MaintenanceEntry.ends_at > starts_at),
        )
        .limit(1)
    ).first()


def request_booking(session: Session, asset: Asset, member: Member, data: dict, *, now: datetime | None = None) -> Booking:
    """Book `asset` for a time: approved at once, or waiting for an admin (the asset says
    which). The slot is held either way; the database refuses an overlapping one."""
    values = load(BookingIn, data, code="assets.booking_invalid")
    starts_at, ends_at, moment = values["starts_at"], values["ends_at"], _now(now)
    if asset.status != "available":
        raise AssetError(
            _l("This asset cannot be booked now (maintenance or no longer in use)."), status=409, code="assets.not_available"
        )
    if not has_rank(member, asset.min_role):
        raise AssetError(_l("This asset can only be booked by the lab's own people."), status=403, code="assets.not_eligible")
    if starts_at < moment - PAST_SLACK:
        raise AssetError.on_field("starts_at", _l("The start lies in the past."), code="assets.in_the_past")
    if starts_at > moment + MAX_AHEAD:
        raise AssetError.on_field("starts_at", _l("At most a year ahead."), code="assets.too_far_ahead")
    if ends_at - starts_at > timedelta(days=asset.max_days):
        raise AssetError.on_field(
            "ends_at",
            _l("This asset can be booked for at most %(days)d days at a time.", days=asset.max_days),
            code="assets.too_long",
        )
    if _blocked(session, asset.id, starts_at, ends_at) is not None:
        raise AssetError(_l("The asset is out of use for maintenance or damage at that time."), status=409, code="assets.blocked")
    booking = Booking(
        asset_id=asset.id,
        member_id=member.id,
        starts_at=starts_at,
        ends_at=ends_at,
        note=values["note"],
        status="approved" if asset.approval == "automatic" else "requested",
    )
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == "23P01":  # exclusion_violation: the slot is taken
            raise AssetError(
                _l("This time is already booked. Choose another time: the calendar shows what is free."),
                status=409,
                code="assets.slot_taken",
            ) from None
        raise
    record(
        session,
        "assets.booking.requested",
        actor_member_id=member.id,
        booking_id=booking.id,
        asset_id=asset.id,
        status=booking.status,
    )
    return booking


def _decide(session: Session, booking: Booking, admin: Member, *, approve: bool, reason: str) -> Booking:
    _admin_only(admin)
    reason = load(ReasonIn, {"reason": reason}, code="assets.reason_invalid")["reason"]
    if booking.status != "requested":
        raise AssetError(_l("This booking does not wait for approval."), status=409, code="assets.not_requested")
    booking.status = "approved" if approve else "declined"
    booking.decided_by, booking.decided_at, booking.decision_reason = admin.id, datetime.now(timezone.utc), reason or None
    session.flush()
    record(session, f"assets.booking.{booking.status}", actor_member_id=admin.id, booking_id=booking.id)
    return booking


def approve_booking(session: Session, booking: Booking, admin: Member, reason: str = "") -> Booking:
    return _decide(session, booking, admin, approve=True, reason=reason)


def decline_booking(session: Session, booking: Booking, admin: Member, reason: str = "") -> Booking:
    return _decide(session, booking, admin, approve=False, reason=reason)


def _booker_or_admin(booking: Booking, member: Member) -> None:
    if booking.member_id != member.id and not is_admin(member):
        raise AssetError(_l("This booking does not exist."), status=404, code="assets.booking_not_found")


def cancel_booking(session: Session, booking: Booking, member: Member, reason: str = "") -> Booking:
    """The booker cancels before picking up; an admin at any time. A completed booking's
    money is corrected with reversing entries (nothing in the ledger is changed)."""
    _booker_or_admin(booking, member)
    reason = load(ReasonIn, {"reason": reason}, code="assets.reason_invalid")["reason"]
    open_for_booker = ("requested", "approved")
    allowed = (*open_for_booker, "checked_in", "checked_out", "completed") if is_admin(member) else open_for_booker
    if booking.status not in allowed:
        raise AssetError(_l("This booking can no longer be cancelled."), status=409, code="assets.not_cancellable")
    reversed_entries = []
    if booking.status == "completed":
        reversed_entries = reverse_source(
            session, f"booking:{booking.id}", reason=reason or "geannuleerd", actor_member_id=member.id
        )
    booking.status, booking.cancelled_at, booking.cancelled_by, booking.cancel_reason = (
        "cancelled",
        datetime.now(timezone.utc),
        member.id,
        reason or None,
    )
    session.flush()
    record(session, "assets.booking.cancelled", actor_member_id=member.id, booking_id=booking.id, reversed=len(reversed_entries))
    return booking


def check_in(
    session: Session, booking: Booking, asset: Asset, member: Member, data: dict, *, now: datetime | None = None
) -> Booking:
    """Picking the asset up (a car: with the odometer reading)."""
    _booker_or_admin(booking, member)
    km = load(KilometresIn, data, code="assets.km_invalid")["km"]
    if booking.status != "approved":
        raise AssetError(_l("Only an approved booking can be picked up."), status=409, code="assets.not_approved")
    if _now(now) < booking.starts_at - EARLY_CHECK_IN:
        raise AssetError(_l("Too early: picking up starts an hour before the booking."), status=409, code="assets.too_early")
    if asset.kind == "car" and km is None:
        raise AssetError.on_field("km", _l("Enter the odometer reading."), code="assets.km_required")
    booking.status, booking.checked_in_at, booking.km_start = "checked_in", _now(now), km
    session.flush()
    record(session, "assets.booking.checked_in", actor_member_id=member.id, booking_id=booking.id, km=km)
    return booking


def check_out(
    session: Session, booking: Booking, asset: Asset, member: Member, data: dict, *, fee_percent: int, now: datetime | None = None
) -> Booking:
    """Bringing it back (a car: with the odometer reading). Without damage the booking is
    completed at once; reported damage leaves it for an admin to complete."""
    _booker_or_admin(booking, member)
    values = load(CheckOutIn, data, code="assets.checkout_invalid")
    km, damage = values["km"], values["damage"].strip()
    if booking.status != "checked_in":
        raise AssetError(_l("Only a booking that was picked up can be brought back."), status=409, code="assets.not_checked_in")
    if asset.kind == "car":
        if km is None:
            raise AssetError.on_field("km", _l("Enter the odometer reading."), code="assets.km_required")
        if booking.km_start is not None and km < booking.km_start:
            raise AssetError.on_field(
                "km", _l("Lower than at pick-up (%(km)d km).", km=booking.km_start), code="assets.km_below_start"
            )
    booking.status, booking.checked_out_at, booking.km_end = "checked_out", _now(now), km
    session.flush()
    record(session, "assets.booking.checked_out", actor_member_id=member.id, booking_id=booking.id, km=km)
    if damage:
        entry = MaintenanceEntry(
            asset_id=asset.id, kind="damage", description=damage, booking_id=booking.id, reported_by=member.id
        )
        session.add(entry)
        session.flush()
        record(session, "assets.damage.reported", actor_member_id=member.id, asset_id=asset.id, entry_id=entry.id)
        return booking
    return _complete(session, booking, asset, member, fee_percent=fee_percent)


def complete_booking(session: Session, booking: Booking, asset: Asset, admin: Member, *, fee_percent: int) -> Booking:
    _admin_only(admin)
    if booking.status != "checked_out":
        raise AssetError(_l("Only a booking that was brought back can be completed."), status=409, code="assets.not_checked_out")
    return _complete(session, booking, asset, admin, fee_percent=fee_percent)


def _complete(session: Session, booking: Booking, asset: Asset, actor: Member, *, fee_percent: int) -> Booking:
    """The price (time booked, kilometres driven), booked in the ledger and split over who
    brought the asset in, by the shares in force when the booking started."""
    km = (booking.km_end - booking.km_start) if booking.km_end is not None and booking.km_start is not None else 0
    price = booking_price(asset.price_cents, asset.price_unit, booking.starts_at, booking.ends_at, km, asset.km_price_cents or 0)
    fee, parts = split(price, fee_percent, shares_at(session, asset.id, booking.starts_at))
    booking.status, booking.completed_at, booking.price_cents, booking.fee_cents = (
        "completed",
        datetime.now(timezone.utc),
        price,
        fee,
    )
    session.flush()
    if price > 0:
        subject = f"asset:{asset.id}"
        lines = [Line("receivable", price, subject, f"booking:{booking.id}")]
        if fee:
            lines.append(Line("fees", -fee, subject))
        for party, cents in sorted(parts.items()):
            if cents:
                lines.append(Line(_income_account(session, party), -cents, subject))
        post_entry(session, _describe(booking, asset), lines, source=f"booking:{booking.id}", actor_member_id=actor.id)
    record(session, "assets.booking.completed", actor_member_id=actor.id, booking_id=booking.id, price_cents=price, fee_cents=fee)
    return booking


def _income_account(session: Session, party: str) -> str:
    """The account a contributor's part goes to: what the lab owes them, or the lab's own income."""
    if party == "lab":
        return "lab-share"
    ref = f"payable:{party}"
    kind, _, number = party.partition(":")
    if kind == "member":
        name = session.scalar(select(Member.display_name).where(Member.id == int(number)))
    else:
        name = session.scalar(select(Organisation.name).where(Organisation.id == int(number)))
    ensure_account(session, ref, name=f"Te betalen aan {name or party}", kind="liability")
    return ref


def _describe(booking: Booking, asset: Asset) -> str:
    zone = tenant_zone()
    start, end = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    return f"Boeking {booking.id}: {asset.name}, {start:%d-%m-%Y %H:%M} tot {end:%d-%m-%Y %H:%M}"


def record_payment(session: Session, booking: Booking, admin: Member) -> Booking:
    """The booker paid: from what the lab was owed to the bank."""
    _admin_only(admin)
    if booking.status != "completed":
        raise AssetError(_l("Only a completed booking can be paid."), status=409, code="assets.not_completed")
    if booking.paid_at is not None:
        raise AssetError(_l("This booking has already been paid."), status=409, code="assets.already_paid")
    if booking.price_cents:
        post_entry(
            session,
            f"Betaling van boeking {booking.id}",
            [Line("bank", booking.price_cents), Line("receivable", -booking.price_cents, None, f"booking:{booking.id}")],
            source=f"booking:{booking.id}",
            actor_member_id=admin.id,
        )
    booking.paid_at = datetime.now(timezone.utc)
    session.flush()
    record(session, "assets.booking.paid", actor_member_id=admin.id, booking_id=booking.id, price_cents=booking.price_cents)
    return booking


def pay_out(session: Session, admin: Member, party: str) -> int:
    """Pay a contributor what the lab owes them (all of it); returns the cents paid."""
    _admin_only(admin)
    if not (party.startswith("member:") or party.startswith("organisation:")) or not party.partition(":")[2].isdigit():
        raise AssetError(_l("There is no such contributor."), status=404, code="assets.no_contributor")
    due = -balance(session, f"payable:{party}")
    if due <= 0:
        raise AssetError(_l("Nothing is due to this contributor."), status=409, code="assets.nothing_due")
    post_entry(
        session,
        f"Uitbetaling aan bijdrager ({party})",
        [Line(f"payable:{party}", due), Line("bank", -due)],
        source=f"payout:{party}",
        actor_member_id=admin.id,
    )
    record(session, "assets.payout.paid", actor_member_id=admin.id, party=party, cents=due)
    return due


# --- maintenance and damage -----------------------------------------------------------------------
def report_maintenance(session: Session, asset: Asset, member: Member, data: dict) -> MaintenanceEntry:
    """Any member reports damage; an admin also logs maintenance and may block bookings."""
    values = load(MaintenanceIn, data, code="assets.maintenance_invalid")
    admin = is_admin(member)
    if values["kind"] == "maintenance" and not admin:
        raise AssetError(
            _l("Only an administrator logs maintenance; report damage instead."), status=403, code="assets.admin_only"
        )
    entry = MaintenanceEntry(
        asset_id=asset.id,
        kind=values["kind"],
        description=values["description"],
        blocks=values["blocks"] and admin,
        starts_at=values["starts_at"] or datetime.now(timezone.utc),
        ends_at=values["ends_at"],
        reported_by=member.id,
    )
    session.add(entry)
    session.flush()
    record(
        session,
        f"assets.{values['kind']}.reported",
        actor_member_id=member.id,
        asset_id=asset.id,
        entry_id=entry.id,
        blocks=entry.blocks,
    )
    return entry


def resolve_maintenance(session: Session, asset: Asset, admin: Member, entry_id: int) -> MaintenanceEntry:
    _admin_only(admin)
    entry = session.scalars(
        select(MaintenanceEntry).where(MaintenanceEntry.id == entry_id, MaintenanceEntry.asset_id == asset.id)
    ).one_or_none()
    if entry is None:
        raise AssetError(_l("There is no such entry."), status=404, code="assets.maintenance_not_found")
    if entry.resolved_at is None:
        entry.resolved_at, entry.resolved_by = datetime.now(timezone.utc), admin.id
        session.flush()
        record(session, "assets.maintenance.resolved", actor_member_id=admin.id, asset_id=asset.id, entry_id=entry.id)
    return entry


# --- calendar feeds -------------------------------------------------------------------------------
def create_feed(session: Session, member: Member, asset: Asset | None = None) -> str:
    """A secret address for a calendar app: the member's bookings, or one asset's. The
    token is shown once; an earlier feed of the same kind stops working."""
    for old in session.scalars(
        select(CalendarFeed).where(
            CalendarFeed.member_id == member.id,
            CalendarFeed.asset_id.is_(None) if asset is None else CalendarFeed.asset_id == asset.id,
            CalendarFeed.revoked_at.is_(None),
        )
    ):
        old.revoked_at = datetime.now(timezone.utc)
    plaintext = secrets.token_urlsafe(24)
    session.add(CalendarFeed(member_id=member.id, asset_id=asset.id if asset else None, token_hash=token_hash(plaintext)))
    session.flush()
    record(session, "assets.feed.created", actor_member_id=member.id, asset_id=asset.id if asset else None)
    return plaintext


def feed_for(session: Session, plaintext: str) -> CalendarFeed | None:
    if not plaintext or len(plaintext) > 64:
        return None
    return session.scalars(
        select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(plaintext), CalendarFeed.revoked_at.is_(None))
    ).one_or_none()
