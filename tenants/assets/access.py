"""Who may see and do what with shared assets, and the fetch-and-check helpers: an asset
(any member may see it; retired ones only admins), a booking (its booker and the lab's
admins; the same 404 for anyone else)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.modules import module_settings
from wijknet.tenants.core.access import has_rank
from wijknet.tenants.core.models import Member

from .models import Asset, Booking
from .schemas import AssetError


def assets_settings() -> dict:
    return module_settings("assets")


def is_admin(member: Member | None) -> bool:
    return has_rank(member, "admin")


def get_asset(session: Session, asset_id: int, member: Member | None, *, for_update: bool = False) -> Asset:
    query = select(Asset).where(Asset.id == asset_id)
    if not is_admin(member):
        query = query.where(Asset.status != "retired")
    asset = session.scalars(locked(query) if for_update else query).one_or_none()
    if asset is None:
        raise AssetError(_l("This asset does not exist (any more)."), status=404, code="assets.asset_not_found")
    return asset


def get_booking(session: Session, booking_id: int, member: Member, *, for_update: bool = False) -> Booking:
    """A booking its booker or an admin may see; anyone else gets the same 404."""
    query = select(Booking).where(Booking.id == booking_id)
    if not is_admin(member):
        query = query.where(Booking.member_id == member.id)
    booking = session.scalars(locked(query) if for_update else query).one_or_none()
    if booking is None:
        raise AssetError(_l("This booking does not exist."), status=404, code="assets.booking_not_found")
    return booking


def asset_of(session: Session, booking: Booking) -> Asset:
    """The asset of a booking already fetched for someone who may see it (even retired since)."""
    return session.get(Asset, booking.asset_id)
