"""Shared assets over the API: /t/<slug>/api/v1/assets/... (assets, availability, bookings
and their steps, shares, maintenance, earnings, payouts). Bearer token of a member.

Thin, like the pages: the same operations check who may do what and refuse with the same
codes and messages (JSON: code, status, message, errors per field)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import jsonify
from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, fields, validate

from wijknet.platform.api_blueprint import Blueprint
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.tenancy.routing import tenant_db
from wijknet.tenants.core.access import access, current_member, role
from wijknet.tenants.core.idempotency import once_per_key

from . import operations as ops
from .access import asset_of, assets_settings, get_asset, get_booking
from .models import ASSET_KINDS
from .queries import bookings_of, calendar, current_shares, earnings_of, list_assets, maintenance_of, payouts_due
from .schemas import AssetError, AssetIn, BookingIn, LocalDateTime, MaintenanceIn, SharesIn

blp = Blueprint(
    "assets_api",
    __name__,
    url_prefix="/t/<slug>/api/v1/assets",
    description="Shared assets: houses, cars, rooms and tools, their bookings and the income of who brought them in.",
)
ADMINS = role("admin")
MAX_WINDOW = timedelta(days=62)


class AssetOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "house, car, room, tool or other"})
    name = fields.String()
    description = fields.String()
    location = fields.String()
    status = fields.String(metadata={"description": "available, maintenance or retired"})
    price_cents = fields.Integer()
    price_unit = fields.String(metadata={"description": "hour, day, night or month"})
    km_price_cents = fields.Integer(allow_none=True)
    rules = fields.String()
    approval = fields.String(metadata={"description": "automatic or admin"})
    min_role = fields.String()
    max_days = fields.Integer()
    attributes = fields.Dict()


class BookingOut(Schema):
    id = fields.Integer()
    asset_id = fields.Integer()
    member_id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String(
        metadata={"description": "requested, approved, checked_in, checked_out, completed, cancelled, declined"}
    )
    note = fields.String()
    km_start = fields.Integer(allow_none=True)
    km_end = fields.Integer(allow_none=True)
    price_cents = fields.Integer(allow_none=True)
    fee_cents = fields.Integer(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)


class SlotOut(Schema):
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    kind = fields.String(metadata={"description": "booking, requested or blocked"})
    booking_id = fields.Integer(allow_none=True, metadata={"description": "only for its booker and admins"})
    mine = fields.Boolean()


class ShareOut(Schema):
    party = fields.String()
    member_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    basis_points = fields.Integer(metadata={"description": "hundredths of a percent"})
    name = fields.String()
    valid_from = fields.DateTime()


class MaintenanceOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    description = fields.String()
    blocks = fields.Boolean()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)


class EarningOut(Schema):
    asset_id = fields.Integer()
    asset_name = fields.String()
    basis_points = fields.Integer()
    earned_cents = fields.Integer()


class EarningsOut(Schema):
    assets = fields.List(fields.Nested(EarningOut))
    earned_cents = fields.Integer()
    due_cents = fields.Integer()


class PayoutOut(Schema):
    party = fields.String(metadata={"description": "member:<id> or organisation:<id>"})
    name = fields.String()
    due_cents = fields.Integer()


class ListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(load_default=None, validate=validate.OneOf(ASSET_KINDS))
    q = fields.String(load_default="", validate=validate.Length(max=100))


class WindowArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    starts_at = LocalDateTime(load_default=None, data_key="from", metadata={"description": "default: now"})
    ends_at = LocalDateTime(load_default=None, data_key="until", metadata={"description": "default: 31 days on; at most 62 days"})


class BookingsArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    upcoming = fields.Boolean(load_default=True)


class StepIn(Schema):
    class Meta:
        unknown = EXCLUDE

    km = fields.Raw(load_default="", metadata={"description": "odometer reading (cars: at check-in and check-out)"})
    damage = fields.String(load_default="", metadata={"description": "at check-out: damage or problems"})
    reason = fields.String(load_default="", metadata={"description": "approve, decline, cancel: a message"})


class PayoutIn(Schema):
    party = fields.String(required=True, metadata={"description": "member:<id> or organisation:<id>"})


def _asset(asset_id: int, *, for_update: bool = False):
    return get_asset(tenant_db(), asset_id, current_member(), for_update=for_update)  # 404 when not visible


@blp.route("/")
class Assets(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, AssetOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """The lab's shared assets (retired ones only for admins), available first."""
        size = pagination_parameters.page_size
        rows, total = list_assets(
            tenant_db(),
            current_member(),
            kind=args["kind"],
            query=args["q"].strip(),
            limit=size,
            offset=(pagination_parameters.page - 1) * size,
        )
        pagination_parameters.item_count = total
        return [asset for asset, _photo in rows]

    @access(ADMINS)
    @once_per_key("assets.asset.create")
    @blp.arguments(AssetIn)
    @blp.response(201, AssetOut)
    def post(self, data):
        """Add a shared asset (admins). Amounts in cents; attributes per kind (car: plate,
        seats, fuel; house: address, rooms, accessible; room: capacity, accessible)."""
        return ops.create_asset(tenant_db(), current_member(), data)


@blp.route("/<int:asset_id>")
class OneAsset(MethodView):
    @blp.response(200, AssetOut)
    def get(self, asset_id: int):
        """One asset."""
        return _asset(asset_id)

    @access(ADMINS)
    @blp.arguments(AssetIn)
    @blp.response(200, AssetOut)
    def put(self, data, asset_id: int):
        """Change an asset (admins; all fields; its kind stays)."""
        asset = _asset(asset_id, for_update=True)
        return ops.update_asset(tenant_db(), asset, current_member(), {**data, "kind": asset.kind})


@blp.route("/<int:asset_id>/availability")
class Availability(MethodView):
    @blp.arguments(WindowArgs, location="query")
    @blp.response(200, SlotOut(many=True))
    def get(self, args, asset_id: int):
        """What holds the asset in a window (bookings and blocking maintenance); the rest is free."""
        asset = _asset(asset_id)
        start = args["starts_at"] or datetime.now(timezone.utc)
        end = args["ends_at"] or start + timedelta(days=31)
        if end <= start or end - start > MAX_WINDOW:
            raise AssetError.on_field(
                "until", _l("The window ends after its start and spans at most 62 days."), code="assets.window_invalid"
            )
        # A month holds hundreds of slots: written straight to JSON, the same shape as SlotOut
        # (its schema documents it), without a marshmallow dump or a deep copy per slot.
        return jsonify(
            [
                {
                    "starts_at": slot.starts_at.isoformat(),
                    "ends_at": slot.ends_at.isoformat(),
                    "kind": slot.kind,
                    "booking_id": slot.booking_id,
                    "mine": slot.mine,
                }
                for slot in calendar(tenant_db(), asset.id, start, end, current_member())
            ]
        )


@blp.route("/<int:asset_id>/bookings")
class AssetBookings(MethodView):
    @once_per_key("assets.booking.request")
    @blp.arguments(BookingIn)
    @blp.response(201, BookingOut)
    def post(self, data, asset_id: int):
        """Book the asset. 409 `assets.slot_taken` when the time overlaps another booking
        (touching is fine: one may end when the next starts). Times in UTC or the lab's time."""
        return ops.request_booking(tenant_db(), _asset(asset_id, for_update=True), current_member(), data)


@blp.route("/<int:asset_id>/shares")
class Shares(MethodView):
    @blp.response(200, ShareOut(many=True))
    def get(self, asset_id: int):
        """Who brought the asset in, with the shares in force now."""
        asset = _asset(asset_id)
        return [
            {**{k: getattr(s, k) for k in ("party", "member_id", "organisation_id", "basis_points", "valid_from")}, "name": name}
            for s, name in current_shares(tenant_db(), asset.id)
        ]

    @access(ADMINS)
    @blp.arguments(SharesIn)
    @blp.response(200, ShareOut(many=True))
    def put(self, data, asset_id: int):
        """New shares from now on (admins); they must sum to 10000 basis points (100 %)."""
        session = tenant_db()
        ops.set_shares(session, _asset(asset_id, for_update=True), current_member(), data)
        return self.get(asset_id)


@blp.route("/<int:asset_id>/maintenance")
class Maintenance(MethodView):
    @access(ADMINS)
    @blp.response(200, MaintenanceOut(many=True))
    def get(self, asset_id: int):
        """The maintenance log and damage reports (admins), open ones first."""
        return [entry for entry, _name in maintenance_of(tenant_db(), _asset(asset_id).id)]

    @blp.arguments(MaintenanceIn)
    @blp.response(201, MaintenanceOut)
    def post(self, data, asset_id: int):
        """Report damage (members) or log maintenance (admins; `blocks` stops bookings)."""
        return ops.report_maintenance(tenant_db(), _asset(asset_id), current_member(), data)


@blp.route("/bookings")
class MyBookings(MethodView):
    @blp.arguments(BookingsArgs, location="query")
    @blp.response(200, BookingOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Your bookings: coming up (soonest first) or past (latest first)."""
        size = pagination_parameters.page_size
        rows, total = bookings_of(
            tenant_db(),
            current_member(),
            upcoming=args["upcoming"],
            now=datetime.now(timezone.utc),
            limit=size,
            offset=(pagination_parameters.page - 1) * size,
        )
        pagination_parameters.item_count = total
        return [booking for booking, _asset in rows]


@blp.route("/bookings/<int:booking_id>")
class OneBooking(MethodView):
    @blp.response(200, BookingOut)
    def get(self, booking_id: int):
        """One booking (its booker and admins)."""
        return get_booking(tenant_db(), booking_id, current_member())


STEPS = ("approve", "decline", "cancel", "check-in", "check-out", "complete", "paid")


@blp.route("/bookings/<int:booking_id>/<step>")
class BookingStep(MethodView):
    @blp.arguments(StepIn)
    @blp.response(200, BookingOut)
    def post(self, data, booking_id: int, step: str):
        """A step of a booking: approve, decline (admins), cancel, check-in, check-out (the
        booker or admins; cars with `km`), complete, paid (admins)."""
        if step not in STEPS:
            raise AssetError(_l("There is no such step."), status=404, code="assets.no_such_step")
        session, member = tenant_db(), current_member()
        booking = get_booking(session, booking_id, member, for_update=True)
        asset = asset_of(session, booking)
        fee = assets_settings()["cooperative_fee_percent"]
        if step == "approve":
            return ops.approve_booking(session, booking, member, data["reason"])
        if step == "decline":
            return ops.decline_booking(session, booking, member, data["reason"])
        if step == "cancel":
            return ops.cancel_booking(session, booking, member, data["reason"])
        if step == "check-in":
            return ops.check_in(session, booking, asset, member, {"km": data["km"]})
        if step == "check-out":
            return ops.check_out(session, booking, asset, member, {"km": data["km"], "damage": data["damage"]}, fee_percent=fee)
        if step == "complete":
            return ops.complete_booking(session, booking, asset, member, fee_percent=fee)
        return ops.record_payment(session, booking, member)


@blp.route("/earnings")
class Earnings(MethodView):
    @blp.response(200, EarningsOut)
    def get(self):
        """What the assets you brought in earned, and what is still due to you."""
        rows, total, due = earnings_of(tenant_db(), f"member:{current_member().id}")
        return {
            "assets": [
                {
                    "asset_id": r.asset.id,
                    "asset_name": r.asset.name,
                    "basis_points": r.basis_points,
                    "earned_cents": r.earned_cents,
                }
                for r in rows
            ],
            "earned_cents": total,
            "due_cents": due,
        }


@blp.route("/payouts")
class Payouts(MethodView):
    @access(ADMINS)
    @blp.response(200, PayoutOut(many=True))
    def get(self):
        """What the lab owes each contributor (admins)."""
        return [{"party": party, "name": name, "due_cents": cents} for party, name, cents in payouts_due(tenant_db())]

    @access(ADMINS)
    @blp.arguments(PayoutIn)
    @blp.response(200, PayoutOut)
    def post(self, data):
        """Mark everything due to one contributor as paid out (admins)."""
        cents = ops.pay_out(tenant_db(), current_member(), data["party"])
        return {"party": data["party"], "name": "", "due_cents": cents}
