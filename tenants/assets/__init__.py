"""Shared assets: houses, cars, rooms and tools that residents brought into the lab, with
bookings and income back to those who brought them in (SPEC §2.3 "assets").

Declared here with its settings so labs can already choose it; its pages, tables and API
arrive with the shared-asset work (issue "Shared-asset registry")."""

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, validate

from wijknet.platform.modules import Module


class AssetSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    cooperative_fee_percent = fields.Integer(
        load_default=10,
        validate=validate.Range(0, 100, error=_l("A percentage from 0 to 100.")),
        error_messages={"invalid": _l("A percentage from 0 to 100.")},
        metadata={"label": _l("The cooperative's fee on bookings, in percent")},
    )


module = Module(
    name="assets",
    label=_l("Shared houses, cars and tools"),
    description=_l("Houses, cars and tools the residents share, with bookings and income back to those who brought them in."),
    settings=AssetSettings,
)
