"""The iCalendar feed (RFC 5545, the `icalendar` package) behind a secret address: a
member's own bookings, or one asset's bookings (whose, only when they are the member's)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import HOLDING_STATUSES, Asset, Booking, CalendarFeed

WINDOW_BACK, WINDOW_AHEAD = timedelta(days=31), timedelta(days=366)


def feed_body(session: Session, feed: CalendarFeed, tenant) -> bytes:
    now = datetime.now(timezone.utc)
    query = (
        select(Booking, Asset)
        .join(Asset, Asset.id == Booking.asset_id)
        .where(
            Booking.status.in_(HOLDING_STATUSES),
            Booking.ends_at > now - WINDOW_BACK,
            Booking.starts_at < now + WINDOW_AHEAD,
        )
        .order_by(Booking.starts_at)
        .limit(2000)
    )
    if feed.asset_id is not None:
        query = query.where(Booking.asset_id == feed.asset_id)
    else:
        query = query.where(Booking.member_id == feed.member_id)
    calendar = Calendar()
    calendar.add("prodid", "-//wijknet//gedeelde bezittingen//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{tenant.name}: boekingen")
    for booking, asset in session.execute(query):
        mine = booking.member_id == feed.member_id
        event = Event()
        event.add("uid", f"booking-{booking.id}@{tenant.slug}.wijknet")
        event.add("dtstamp", now)
        event.add("dtstart", booking.starts_at)
        event.add("dtend", booking.ends_at)
        event.add("summary", f"{asset.name}: {'jouw boeking' if mine else 'bezet'}")
        if asset.location:
            event.add("location", asset.location)
        event.add("status", "TENTATIVE" if booking.status == "requested" else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
