"""Shared assets' settings (the admin's form is derived from this). Light on purpose: a
`wijknet` command reads the defaults without importing the models (issue 18)."""

from marshmallow import EXCLUDE, Schema, fields, validate

from wijknet.platform.lazy_text import lazy_gettext as _l

NOTE_MAX = 500  # a payment note, and a booking's note (schemas.py)


class AssetSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    cooperative_fee_percent = fields.Integer(
        load_default=10,
        validate=validate.Range(0, 100, error=_l("A percentage from 0 to 100.")),
        error_messages={"invalid": _l("A percentage from 0 to 100.")},
        metadata={"label": _l("The cooperative's fee on bookings, in percent")},
    )
    payment_note = fields.String(
        load_default="",
        validate=validate.Length(max=NOTE_MAX, error=_l("At most 500 characters.")),
        metadata={"label": _l("How people pay for a booking (shown with every booking)")},
    )
