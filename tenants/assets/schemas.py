"""What people send about shared assets, one marshmallow schema per action, and the
module's settings. Pages, the API and the operations use the same schemas; a refusal is a
message per field (pages) or a 422 with the same messages (API)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.refusals import DomainError, load_input
from wijknet.tenants.core.time import tenant_zone

from .models import APPROVALS, ASSET_KINDS, ASSET_STATUSES, FULL_SHARE, MAINTENANCE_KINDS, PARTIES, PRICE_UNITS
from .settings import NOTE_MAX

NAME_MAX, TEXT_MAX, LOCATION_MAX, REASON_MAX = 120, 5000, 200, 500
MAX_PRICE_CENTS = 10_000_000  # € 100,000 per unit: beyond any real rent
MAX_KM = 2_000_000
ROLES = ("member", "moderator", "admin")
FUELS = ("petrol", "diesel", "electric", "hybrid", "lpg", "other")
_PLATE = re.compile(r"^[A-Z0-9]{1,3}(-?[A-Z0-9]{1,3}){1,3}$")


class AssetError(DomainError):
    code = "assets"


# --- times: an ISO moment, or a local date and time in the lab's time zone -------------------
class LocalDateTime(fields.Field):
    """2026-11-28T09:00 (the lab's local time, as a phone's date-time field sends it) or a
    moment with its offset; stored in UTC."""

    default_error_messages = {"invalid": _l("A date and time like 2026-11-28 09:00.")}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and 10 <= len(value.strip()) <= 40:
            try:
                moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
            except ValueError:
                raise self.make_error("invalid") from None
        else:
            raise self.make_error("invalid")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tenant_zone())
        if not 2000 <= moment.year <= 2100:
            raise self.make_error("invalid")
        return moment.astimezone(timezone.utc)

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat() if value is not None else None


def _text(limit: int, message, **kw):
    return fields.String(validate=validate.Length(max=limit, error=message), **kw)


# --- kind-specific attributes -------------------------------------------------------------------
class CarAttributes(Schema):
    class Meta:
        unknown = EXCLUDE

    plate = fields.String(load_default="")
    seats = fields.Integer(
        load_default=5,
        strict=False,
        validate=validate.Range(1, 9, error=_l("1 to 9 seats.")),
        error_messages={"invalid": _l("1 to 9 seats.")},
    )
    fuel = fields.String(load_default="petrol", validate=validate.OneOf(FUELS, error=_l("Choose a fuel.")))

    @post_load
    def _plate(self, data, **_kw):
        plate = re.sub(r"[\s-]+", "-", (data.get("plate") or "").strip()).upper()  # "gv 123 x": GV-123-X
        if plate and (len(plate) > 10 or not _PLATE.match(plate)):
            raise ValidationError({"plate": [_l("A number plate like AB-123-C.")]})
        data["plate"] = plate
        return data


class HouseAttributes(Schema):
    class Meta:
        unknown = EXCLUDE

    address = fields.String(load_default="", validate=validate.Length(max=LOCATION_MAX, error=_l("At most 200 characters.")))
    rooms = fields.Integer(
        load_default=1,
        strict=False,
        validate=validate.Range(1, 50, error=_l("1 to 50 rooms.")),
        error_messages={"invalid": _l("1 to 50 rooms.")},
    )
    accessible = fields.Boolean(load_default=False)


class RoomAttributes(Schema):
    class Meta:
        unknown = EXCLUDE

    capacity = fields.Integer(
        load_default=10,
        strict=False,
        validate=validate.Range(1, 1000, error=_l("1 to 1000 people.")),
        error_messages={"invalid": _l("1 to 1000 people.")},
    )
    accessible = fields.Boolean(load_default=False)


class NoAttributes(Schema):
    class Meta:
        unknown = EXCLUDE


ATTRIBUTES: dict[str, type[Schema]] = {
    "car": CarAttributes,
    "house": HouseAttributes,
    "room": RoomAttributes,
    "tool": NoAttributes,
    "other": NoAttributes,
}
DEFAULT_MAX_DAYS = {"house": 183, "room": 3, "car": 14, "tool": 14, "other": 14}


class AssetIn(Schema):
    """A new asset, or the whole of a changed one."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(ASSET_KINDS, error=_l("Choose a kind of asset.")))
    name = fields.String(
        required=True,
        validate=validate.Length(2, NAME_MAX, error=_l("A name of 2 to 120 characters.")),
        error_messages={"required": _l("Give the asset a name.")},
    )
    description = _text(TEXT_MAX, _l("At most 5000 characters."), load_default="")
    location = _text(LOCATION_MAX, _l("At most 200 characters."), load_default="")
    status = fields.String(load_default="available", validate=validate.OneOf(ASSET_STATUSES, error=_l("Choose a status.")))
    price_cents = fields.Integer(
        load_default=0,
        strict=False,
        validate=validate.Range(0, MAX_PRICE_CENTS, error=_l("A price from € 0 to € 100,000.")),
        error_messages={"invalid": _l("A price in whole cents, like 1250 for € 12.50.")},
    )
    price_unit = fields.String(
        load_default="day", validate=validate.OneOf(PRICE_UNITS, error=_l("Choose per hour, day, night or month."))
    )
    km_price_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(0, 10_000, error=_l("At most € 100 per kilometre.")),
        error_messages={"invalid": _l("A price in whole cents, like 25 for € 0.25.")},
    )
    rules = _text(TEXT_MAX, _l("At most 5000 characters."), load_default="")
    approval = fields.String(
        load_default="automatic", validate=validate.OneOf(APPROVALS, error=_l("Choose how bookings are approved."))
    )
    min_role = fields.String(load_default="member", validate=validate.OneOf(ROLES, error=_l("Choose who may book.")))
    max_days = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(1, 366, error=_l("From 1 to 366 days.")),
        error_messages={"invalid": _l("From 1 to 366 days.")},
    )
    attributes = fields.Dict(load_default=dict)

    @pre_load
    def _tidy(self, data, **_kw):
        data = dict(data)
        for key in ("name", "description", "location", "rules"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip()
        for key in ("km_price_cents", "max_days"):
            if data.get(key) == "":
                data[key] = None
        return data

    @post_load
    def _attributes(self, data, **_kw):
        try:
            data["attributes"] = ATTRIBUTES[data["kind"]]().load(data.get("attributes") or {})
        except ValidationError as exc:  # one message per attribute, as the form shows them
            messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
            raise ValidationError({f"attributes.{key}": value for key, value in messages.items()}) from None
        if data["max_days"] is None:
            data["max_days"] = DEFAULT_MAX_DAYS[data["kind"]]
        if data["kind"] != "car":
            data["km_price_cents"] = None
        return data


class ShareIn(Schema):
    class Meta:
        unknown = EXCLUDE

    party = fields.String(required=True, validate=validate.OneOf(PARTIES, error=_l("A member, an organisation or the lab.")))
    member_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    organisation_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    basis_points = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(1, FULL_SHARE, error=_l("A share from 0.01 % to 100 %.")),
        error_messages={"invalid": _l("A share from 0.01 % to 100 %."), "required": _l("A share from 0.01 % to 100 %.")},
        metadata={"description": "hundredths of a percent: 2500 is 25 %"},
    )


class SharesIn(Schema):
    """Who brought the asset in, and their parts (from now on)."""

    class Meta:
        unknown = EXCLUDE

    shares = fields.List(fields.Nested(ShareIn), required=True, validate=validate.Length(1, 50))

    @validates_schema
    def _whole(self, data, **_kw):
        shares = data.get("shares") or []
        if sum(s["basis_points"] for s in shares) != FULL_SHARE:
            total = Decimal(sum(s["basis_points"] for s in shares)) / 100
            raise ValidationError({"shares": [_l("The shares add up to %(total)s %%, not 100 %%.", total=f"{total:.2f}")]})
        parties = [(s["party"], s.get("member_id"), s.get("organisation_id")) for s in shares]
        if len(set(parties)) != len(parties):
            raise ValidationError({"shares": [_l("Everyone appears once.")]})


def percent_to_basis_points(raw) -> int | None:
    """'33,33' or '33.33' (%) as 3333 basis points; None when it is not such a number."""
    try:
        value = Decimal(str(raw).strip().replace(",", ".").rstrip("%").strip())
    except InvalidOperation:
        return None
    if value != value or value.as_tuple().exponent < -2:  # NaN, or finer than 0.01 %
        return None
    return int(value * 100)


class BookingIn(Schema):
    class Meta:
        unknown = EXCLUDE

    starts_at = LocalDateTime(required=True, error_messages={"required": _l("When does it start?")})
    ends_at = LocalDateTime(required=True, error_messages={"required": _l("When does it end?")})
    note = _text(NOTE_MAX, _l("At most 500 characters."), load_default="")

    @validates_schema
    def _order(self, data, **_kw):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError({"ends_at": [_l("The end lies before (or at) the start.")]})


class KilometresIn(Schema):
    class Meta:
        unknown = EXCLUDE

    km = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(0, MAX_KM, error=_l("The odometer reading: a whole number of kilometres, not negative.")),
        error_messages={"invalid": _l("The odometer reading: a whole number of kilometres, not negative.")},
    )

    @pre_load
    def _empty(self, data, **_kw):
        data = dict(data)
        if data.get("km") == "":
            data["km"] = None
        return data


class CheckOutIn(KilometresIn):
    damage = _text(2000, _l("At most 2000 characters."), load_default="")


class ReasonIn(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = _text(REASON_MAX, _l("At most 500 characters."), load_default="")


class MaintenanceIn(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(load_default="damage", validate=validate.OneOf(MAINTENANCE_KINDS, error=_l("Maintenance or damage.")))
    description = fields.String(
        required=True,
        validate=validate.Length(3, 2000, error=_l("Describe it in 3 to 2000 characters.")),
        error_messages={"required": _l("Describe it in 3 to 2000 characters.")},
    )
    blocks = fields.Boolean(load_default=False, metadata={"description": "no bookings until it is resolved (or until ends_at)"})
    starts_at = LocalDateTime(load_default=None, allow_none=True)
    ends_at = LocalDateTime(load_default=None, allow_none=True)

    @pre_load
    def _empty(self, data, **_kw):
        data = dict(data)
        for key in ("starts_at", "ends_at"):
            if data.get(key) == "":
                data[key] = None
        if isinstance(data.get("description"), str):
            data["description"] = data["description"].strip()
        return data

    @validates_schema
    def _order(self, data, **_kw):
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError({"ends_at": [_l("The end lies before (or at) the start.")]})


def load(schema: type[Schema], data, *, code: str) -> dict:
    """`schema` applied to `data`: the clean values, or an AssetError with a message per field."""
    return load_input(schema(), data, error=AssetError, code=code)
