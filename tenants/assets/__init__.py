"""Shared assets: houses, cars, rooms and tools that residents brought into the lab, with
bookings and income back to those who brought them in (SPEC §2.3 "assets").

Declared here with its settings so labs can already choose it; its pages, tables and API
arrive with the shared-asset work (issue "Shared-asset registry")."""

from flask_babel import lazy_gettext as _l

from wijknet.platform.modules import Module

from .schemas import AssetSettings

module = Module(
    name="assets",
    label=_l("Shared houses, cars and tools"),
    description=_l("Houses, cars and tools the residents share, with bookings and income back to those who brought them in."),
    settings=AssetSettings,
    models="wijknet.tenants.assets.models",
)
