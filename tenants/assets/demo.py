"""The shared assets of the demo network: in a lab with the module on, the shared car (two
residents brought it in), a guest house the residents bought together (for those whose own
home is made energy-neutral) and a tool, with a booking next Saturday morning and a
completed trip whose income went to the contributors."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.engine import Engine

from wijknet.platform.tenancy.uow import TenantRef, tenant_unit_of_work
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.time import tenant_today, tenant_zone

from . import module
from . import operations as ops
from .models import Asset

ASSETS = [
    {
        "kind": "car",
        "name": "De buurtauto",
        "description": "Een elektrische Renault Zoe die twee bewoners in de coöperatie brachten. Laadpas ligt in het dashboardkastje.",
        "location": "Parkeerplaats achter het wijkcentrum",
        "price_cents": 450,
        "price_unit": "hour",
        "km_price_cents": 12,
        "rules": "Laad de auto weer op als de accu onder de 30 % is. Niet roken.",
        "attributes": {"plate": "GZ-123-K", "seats": 5, "fuel": "electric"},
    },
    {
        "kind": "house",
        "name": "Logeerhuis Katendrechtse Lagedijk",
        "description": "Het huis dat bewoners samen kochten, voor wie tijdelijk niet thuis kan wonen: tijdens verduurzaming, ziekte of een scheiding.",
        "location": "Katendrechtse Lagedijk",
        "price_cents": 65000,
        "price_unit": "month",
        "approval": "admin",
        "attributes": {"address": "Katendrechtse Lagedijk 12", "rooms": 3, "accessible": True},
    },
    {
        "kind": "tool",
        "name": "Hogedrukreiniger",
        "description": "Kärcher K5, met terrasreiniger.",
        "location": "Gereedschapsschuur",
        "price_cents": 500,
        "price_unit": "day",
    },
]


def seed(engine: Engine, tenant: TenantRef) -> Iterator[str]:
    fee = module.default_settings()["cooperative_fee_percent"]
    with tenant_unit_of_work(engine, tenant) as session:
        if session.scalar(select(Asset.id).limit(1)) is not None:
            yield f"assets {tenant.slug}: already there"
            return
        members = list(session.scalars(select(Member).order_by(Member.id)))
        admin = next((m for m in members if m.role == "admin"), None)
        if admin is None:
            yield f"assets {tenant.slug}: no administrator to add assets"
            return
        others = [m for m in members if m.id != admin.id] or [admin]
        booker = next((m for m in members if m.role == "member"), others[-1])  # a resident books
        assets = [ops.create_asset(session, admin, dict(data)) for data in ASSETS]
        car, house, _tool = assets
        ops.set_shares(
            session,
            car,
            admin,
            {
                "shares": [
                    {"party": "member", "member_id": others[0].id, "basis_points": 6000},
                    {"party": "member", "member_id": admin.id, "basis_points": 4000},
                ]
            },
            now=datetime.now(timezone.utc) - timedelta(days=30),
        )
        ops.set_shares(session, house, admin, {"shares": [{"party": "lab", "basis_points": 10000}]})
        zone, today = tenant_zone(tenant), tenant_today(tenant)
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        start = datetime.combine(saturday, time(9), zone)
        ops.request_booking(
            session,
            car,
            booker,
            {
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=4)).isoformat(),
                "note": "Boodschappen voor de buurtmaaltijd",
            },
        )
        # A trip that happened: booked, picked up, brought back (its price split and booked).
        begin = datetime.combine(today - timedelta(days=3), time(13), zone).astimezone(timezone.utc)
        trip = ops.request_booking(
            session,
            car,
            booker,
            {"starts_at": begin.isoformat(), "ends_at": (begin + timedelta(hours=3)).isoformat()},
            now=begin,
        )
        ops.check_in(session, trip, car, booker, {"km": 12040}, now=begin)
        ops.check_out(session, trip, car, booker, {"km": 12075}, fee_percent=fee, now=begin + timedelta(hours=3))
        yield f"assets {tenant.slug}: {len(assets)} shared assets, 2 bookings"
