"""One "today" for a living lab: the calendar day in its time zone (Europe/Amsterdam unless
the lab says otherwise), used by every rule that compares with a date (a post's last day,
the posting limit, reminders). Never the server's or the database's time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Europe/Amsterdam"


def tenant_zone(tenant=None) -> ZoneInfo:
    return ZoneInfo(getattr(tenant, "time_zone", None) or DEFAULT_TIME_ZONE)


def tenant_today(tenant=None, *, now: datetime | None = None) -> date:
    """Today in the lab's time zone (the request's lab when none is given)."""
    if tenant is None:
        from flask import g, has_request_context

        tenant = g.get("tenant") if has_request_context() else None
    return (now or datetime.now(timezone.utc)).astimezone(tenant_zone(tenant)).date()
