"""Shared assets' settings (the admin's form is derived from this). Light on purpose: a
`wijknet` command reads the defaults without importing the models (issue 18)."""

from marshmallow import EXCLUDE, Schema, fields, validate

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.settings_fields import whole_number

NOTE_MAX = 500  # a payment note, and a booking's note (schemas.py)


class AssetSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    cooperative_fee_percent = whole_number(
        default=10,
        low=0,
        high=100,
        message=_l("A percentage from 0 to 100."),
        label=_l("The cooperative's fee on bookings, in percent"),
    )
    payment_note = fields.String(
        load_default="",
        validate=validate.Length(max=NOTE_MAX, error=_l("At most 500 characters.")),
        metadata={"label": _l("How people pay for a booking (shown with every booking)")},
    )
