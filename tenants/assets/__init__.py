"""Shared assets: houses, cars, rooms and tools that residents brought into the lab, with
bookings and income back to those who brought them in (SPEC §2.3 "assets").

Built after the board's example (docs/adding-a-module.md): schemas.py (input, settings),
access.py, queries.py, operations.py (one function per action), pricing.py (price and the
split to the cent), views.py and api.py (thin), calendar_feed.py (iCalendar), demo.py.
Money goes through the ledger module (tenants/ledger/)."""

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.modules import Module, NavEntry

module = Module(
    name="assets",
    label=_l("Shared houses, cars and tools"),
    description=_l("Houses, cars and tools the residents share, with bookings and income back to those who brought them in."),
    settings="wijknet.tenants.assets.settings:AssetSettings",
    pages=("wijknet.tenants.assets.views:bp",),
    api=("wijknet.tenants.assets.api:blp",),
    models="wijknet.tenants.assets.models",
    navigation=(
        NavEntry("assets.index", _l("Shared assets")),
        NavEntry("assets.my_bookings", _l("My bookings"), role="member"),
    ),
    tile="assets/_tile.html",
    demo_seed="wijknet.tenants.assets.demo:seed",
    permissions={"book": "member", "report damage": "member", "manage": "admin"},
    audit_events={
        "assets.asset.created": _l("added a shared asset"),
        "assets.asset.updated": _l("changed a shared asset"),
        "assets.photo.added": _l("added a photo of a shared asset"),
        "assets.photo.removed": _l("removed a photo of a shared asset"),
        "assets.shares.set": _l("set who brought an asset in"),
        "assets.booking.requested": _l("booked a shared asset"),
        "assets.booking.approved": _l("approved a booking"),
        "assets.booking.declined": _l("declined a booking"),
        "assets.booking.cancelled": _l("cancelled a booking"),
        "assets.booking.checked_in": _l("picked up a booked asset"),
        "assets.booking.checked_out": _l("brought a booked asset back"),
        "assets.booking.completed": _l("completed a booking"),
        "assets.booking.paid": _l("recorded a payment for a booking"),
        "assets.payout.paid": _l("paid a contributor out"),
        "assets.damage.reported": _l("reported damage"),
        "assets.maintenance.reported": _l("logged maintenance"),
        "assets.maintenance.resolved": _l("resolved maintenance or damage"),
        "assets.feed.created": _l("made a calendar address"),
    },
)
