"""Pages of shared assets (phone first): the list with filters, an asset with its calendar
and the booking form, one's bookings and their steps (pick up, bring back, cancel), what
one's assets earned, and the admins' pages (assets, photos, shares, approvals, payouts,
maintenance). A calendar app follows a secret feed address.

Thin: reading is in queries.py, every change an action of operations.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from wijknet.platform.i18n import parse_euros
from wijknet.platform.paging import check_page, page_number
from wijknet.platform.refusals import DomainError
from wijknet.platform.tenancy.routing import current_tenant, tenant_db
from wijknet.tenants.core.access import PUBLIC, access, current_member, role
from wijknet.tenants.core.idempotency import once_per_key
from wijknet.tenants.core.models import Member, Organisation
from wijknet.tenants.core.time import tenant_today, tenant_zone

from . import operations as ops
from .access import asset_of, assets_settings, get_asset, get_booking, is_admin
from .calendar_feed import feed_body
from .models import ASSET_KINDS, ASSET_STATUSES, PRICE_UNITS, AssetPhoto
from .queries import (
    bookings_of,
    calendar,
    current_shares,
    earnings_of,
    list_assets,
    maintenance_of,
    payouts_due,
    waiting_for_approval,
)
from .schemas import ATTRIBUTES, FUELS, percent_to_basis_points

bp = Blueprint("assets", __name__, url_prefix="/t/<slug>/assets", template_folder="templates")
ADMINS = role("admin")
PER_PAGE = 24
CALENDAR_DAYS = 14


def _page(template: str, status: int = 200, **context):
    return render_template(template, tenant=current_tenant(), member=current_member(), **context), status


def _missing():
    return _page("assets/missing.html", 404)


# --- browsing -------------------------------------------------------------------------------------
@bp.get("/")
def index():
    kind = request.args.get("kind") if request.args.get("kind") in ASSET_KINDS else None
    query = (request.args.get("q") or "").strip()[:100]
    page = page_number()
    rows, total = list_assets(tenant_db(), current_member(), kind=kind, query=query, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return _page(
        "assets/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=check_page(page, total, PER_PAGE),
        kind=kind,
        query=query,
        kinds=ASSET_KINDS,
        admin=is_admin(current_member()),
    )


def _days(start: date, count: int) -> list[tuple[date, datetime, datetime]]:
    zone = tenant_zone()
    return [
        (
            day,
            datetime.combine(day, time(), zone).astimezone(timezone.utc),
            datetime.combine(day + timedelta(days=1), time(), zone).astimezone(timezone.utc),
        )
        for day in (start + timedelta(days=i) for i in range(count))
    ]


def _calendar_start() -> date:
    today = tenant_today()
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        return today
    return min(max(start, today - timedelta(days=366)), today + timedelta(days=366))


def _asset_page(asset, *, form=None, error=None, errors=None, status=200):
    session, member = tenant_db(), current_member()
    start = _calendar_start()
    days = _days(start, CALENDAR_DAYS)
    slots = calendar(session, asset.id, days[0][1], days[-1][2], member)
    per_day = [(day, [s for s in slots if s.starts_at < end and s.ends_at > begin]) for day, begin, end in days]
    photos = session.scalars(select(AssetPhoto).where(AssetPhoto.asset_id == asset.id).order_by(AssetPhoto.id)).all()
    return _page(
        "assets/asset.html",
        status,
        asset=asset,
        photos=photos,
        shares=current_shares(session, asset.id),
        per_day=per_day,
        start=start,
        previous=start - timedelta(days=CALENDAR_DAYS),
        following=start + timedelta(days=CALENDAR_DAYS),
        form=form or {"starts_at": "", "ends_at": "", "note": ""},
        error=error,
        errors=errors or {},
        admin=is_admin(member),
        settings=assets_settings(),
        zone=tenant_zone(),
    )


@bp.get("/<int:asset_id>")
def show(asset_id: int):
    try:
        asset = get_asset(tenant_db(), asset_id, current_member())
    except DomainError:
        return _missing()
    return _asset_page(asset)


@bp.post("/<int:asset_id>/book")
@once_per_key("assets.booking.request")
def book(asset_id: int):
    session, member = tenant_db(), current_member()
    try:
        asset = get_asset(session, asset_id, member, for_update=True)
    except DomainError:
        return _missing()
    form = {key: request.form.get(key, "") for key in ("starts_at", "ends_at", "note")}
    try:
        booking = ops.request_booking(session, asset, member, form)
    except DomainError as exc:
        return _asset_page(asset, form=form, error=exc.message, errors=exc.errors, status=exc.status)
    return redirect(url_for("assets.booking", booking_id=booking.id), code=303)


@bp.post("/<int:asset_id>/damage")
def report_damage(asset_id: int):
    session, member = tenant_db(), current_member()
    try:
        asset = get_asset(session, asset_id, member)
        ops.report_maintenance(session, asset, member, {"kind": "damage", "description": request.form.get("description", "")})
    except DomainError as exc:
        if exc.status == 404:
            return _missing()
        return _page("assets/refused.html", exc.status, message=exc.message, back=url_for("assets.show", asset_id=asset_id))
    return redirect(url_for("assets.show", asset_id=asset_id, reported=1), code=303)


# --- bookings -------------------------------------------------------------------------------------
@bp.get("/bookings")
def my_bookings():
    session, member = tenant_db(), current_member()
    now = datetime.now(timezone.utc)
    upcoming, _n = bookings_of(session, member, upcoming=True, now=now, limit=100)
    page = page_number()
    past, total_past = bookings_of(session, member, upcoming=False, now=now, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return _page(
        "assets/bookings.html",
        upcoming=upcoming,
        past=past,
        page=page,
        pages=check_page(page, total_past, PER_PAGE),
        zone=tenant_zone(),
    )


@bp.get("/bookings/<int:booking_id>")
def booking(booking_id: int):
    session, member = tenant_db(), current_member()
    try:
        found = get_booking(session, booking_id, member)
    except DomainError:
        return _missing()
    asset = asset_of(session, found)
    return _page(
        "assets/booking.html",
        booking=found,
        asset=asset,
        booker=session.get(Member, found.member_id),
        admin=is_admin(member),
        mine=found.member_id == member.id,
        settings=assets_settings(),
        zone=tenant_zone(),
        error=None,
        errors={},
    )


STEPS = {
    "approve": lambda s, b, a, m, f: ops.approve_booking(s, b, m, f.get("reason", "")),
    "decline": lambda s, b, a, m, f: ops.decline_booking(s, b, m, f.get("reason", "")),
    "cancel": lambda s, b, a, m, f: ops.cancel_booking(s, b, m, f.get("reason", "")),
    "check-in": lambda s, b, a, m, f: ops.check_in(s, b, a, m, {"km": f.get("km", "")}),
    "check-out": lambda s, b, a, m, f: ops.check_out(
        s,
        b,
        a,
        m,
        {"km": f.get("km", ""), "damage": f.get("damage", "")},
        fee_percent=assets_settings()["cooperative_fee_percent"],
    ),
    "complete": lambda s, b, a, m, f: ops.complete_booking(s, b, a, m, fee_percent=assets_settings()["cooperative_fee_percent"]),
    "paid": lambda s, b, a, m, f: ops.record_payment(s, b, m),
}


@bp.post("/bookings/<int:booking_id>/<step>")
def booking_step(booking_id: int, step: str):
    if step not in STEPS:
        return _missing()
    session, member = tenant_db(), current_member()
    try:
        found = get_booking(session, booking_id, member, for_update=True)
    except DomainError:
        return _missing()
    asset = asset_of(session, found)
    try:
        STEPS[step](session, found, asset, member, request.form)
    except DomainError as exc:
        return _page(
            "assets/booking.html",
            exc.status,
            booking=found,
            asset=asset,
            booker=session.get(Member, found.member_id),
            admin=is_admin(member),
            mine=found.member_id == member.id,
            settings=assets_settings(),
            zone=tenant_zone(),
            error=exc.message,
            errors=exc.errors,
        )
    return redirect(url_for("assets.booking", booking_id=booking_id), code=303)


# --- what one's assets earned ---------------------------------------------------------------------
@bp.get("/earnings")
def earnings():
    rows, total, due = earnings_of(tenant_db(), f"member:{current_member().id}")
    return _page("assets/earnings.html", rows=rows, total=total, due=due)


# --- calendar feeds -------------------------------------------------------------------------------
@bp.route("/feeds", methods=["GET", "POST"])
def feeds():
    session, member = tenant_db(), current_member()
    address = None
    if request.method == "POST":
        asset = None
        if request.form.get("asset_id"):
            try:
                asset = get_asset(session, int(request.form["asset_id"]), member) if request.form["asset_id"].isdigit() else None
            except DomainError:
                asset = None
            if asset is None:
                return _missing()
        token = ops.create_feed(session, member, asset)
        address = url_for("assets.feed", token=token, _external=True)
    rows, _total = list_assets(session, member, limit=200)
    return _page("assets/feeds.html", address=address, assets=[a for a, _p in rows])


@bp.get("/calendar/<token>.ics")
@access(PUBLIC)  # the secret address is the key: calendar apps cannot sign in
def feed(token: str):
    session = tenant_db()
    found = ops.feed_for(session, token)
    if found is None:
        abort(404)
    body = feed_body(session, found, current_tenant())
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


# --- admins ---------------------------------------------------------------------------------------
@bp.get("/manage")
@access(ADMINS)
def manage():
    session = tenant_db()
    rows, _total = list_assets(session, current_member(), limit=200)
    return _page(
        "assets/manage.html", rows=rows, waiting=waiting_for_approval(session), payouts=payouts_due(session), zone=tenant_zone()
    )


ASSET_FIELDS = ("kind", "name", "description", "location", "status", "price_unit", "rules", "approval", "min_role", "max_days")


def _asset_form() -> tuple[dict, dict]:
    """The form as the operation takes it; euros typed by people become cents."""
    form = {key: request.form.get(key, "") for key in ASSET_FIELDS}
    errors = {}
    for field, cents_field in (("price", "price_cents"), ("km_price", "km_price_cents")):
        raw = request.form.get(field, "").strip()
        if not raw:
            form[cents_field] = 0 if field == "price" else None
            continue
        cents = parse_euros(raw)
        if cents is None:
            errors[cents_field] = [_euro_message()]
        form[cents_field] = cents
    kind = form["kind"] if form["kind"] in ATTRIBUTES else "other"
    form["attributes"] = {name: request.form.get(f"attributes.{name}", "") for name in ATTRIBUTES[kind]().fields}
    for flag in ("accessible",):
        if flag in form["attributes"]:
            form["attributes"][flag] = request.form.get(f"attributes.{flag}") == "on"
    return form, errors


def _too_large_message(limit: int) -> str:
    from flask_babel import gettext

    return gettext("The image is too large: at most %(kb)d kB.", kb=limit // 1024)


def _euro_message() -> str:
    from flask_babel import gettext

    return gettext("An amount like 12,50.")


def _edit_page(asset, form, error=None, errors=None, status=200):
    return _page(
        "assets/edit.html",
        status,
        asset=asset,
        form=form,
        error=error,
        errors=errors or {},
        kinds=ASSET_KINDS,
        statuses=ASSET_STATUSES,
        units=PRICE_UNITS,
        fuels=FUELS,
        photos=tenant_db().scalars(select(AssetPhoto).where(AssetPhoto.asset_id == asset.id).order_by(AssetPhoto.id)).all()
        if asset
        else [],
    )


def _form_of(asset) -> dict:
    form = {key: getattr(asset, key) for key in ASSET_FIELDS}
    form.update(price=asset.price_cents, km_price=asset.km_price_cents, attributes=dict(asset.attributes or {}))
    return form


@bp.route("/new", methods=["GET", "POST"])
@access(ADMINS)
@once_per_key("assets.asset.create")
def new():
    kind = request.values.get("kind") if request.values.get("kind") in ASSET_KINDS else "car"
    if request.method == "GET":
        return _edit_page(
            None,
            {
                "kind": kind,
                "status": "available",
                "price_unit": "day",
                "approval": "automatic",
                "min_role": "member",
                "attributes": {},
            },
        )
    form, errors = _asset_form()
    if errors:
        return _edit_page(None, _shown(form), _fix_message(), errors, 400)
    try:
        asset = ops.create_asset(tenant_db(), current_member(), form)
    except DomainError as exc:
        return _edit_page(None, _shown(form), exc.message, exc.errors, exc.status)
    return redirect(url_for("assets.shares", asset_id=asset.id, new=1), code=303)


@bp.route("/<int:asset_id>/edit", methods=["GET", "POST"])
@access(ADMINS)
def edit(asset_id: int):
    session, member = tenant_db(), current_member()
    try:
        asset = get_asset(session, asset_id, member, for_update=request.method == "POST")
    except DomainError:
        return _missing()
    if request.method == "GET":
        return _edit_page(asset, _form_of(asset))
    form, errors = _asset_form()
    form["kind"] = asset.kind
    if errors:
        return _edit_page(asset, _shown(form), _fix_message(), errors, 400)
    try:
        ops.update_asset(session, asset, member, form)
    except DomainError as exc:
        return _edit_page(asset, _shown(form), exc.message, exc.errors, exc.status)
    return redirect(url_for("assets.show", asset_id=asset.id), code=303)


def _shown(form: dict) -> dict:
    """The form as typed, to show again (amounts as typed, not as cents)."""
    return {**form, "price": request.form.get("price", ""), "km_price": request.form.get("km_price", ""), "typed": True}


def _fix_message() -> str:
    from flask_babel import gettext

    return gettext("Please correct the marked fields.")


@bp.post("/<int:asset_id>/photos")
@access(ADMINS)
def add_photo(asset_id: int):
    session, member = tenant_db(), current_member()
    try:
        asset = get_asset(session, asset_id, member)
    except DomainError:
        return _missing()
    limit = ops.PHOTO_BYTES + 64 * 1024  # a phone's photo is larger than other forms
    if (request.content_length or 0) > limit:  # refused before it is read
        message = _too_large_message(ops.PHOTO_BYTES)
        return _edit_page(asset, _form_of(asset), message, {"photo": [message]}, 413)
    request.max_content_length = limit
    upload = request.files.get("photo")
    data = upload.read() if upload else b""
    if upload:
        upload.close()
    try:
        ops.add_photo(session, asset, member, data)
    except DomainError as exc:
        return _edit_page(asset, _form_of(asset), exc.message, exc.errors, exc.status)
    return redirect(url_for("assets.edit", asset_id=asset_id) + "#photos", code=303)


@bp.post("/<int:asset_id>/photos/<int:photo_id>/remove")
@access(ADMINS)
def remove_photo(asset_id: int, photo_id: int):
    session, member = tenant_db(), current_member()
    try:
        ops.remove_photo(session, get_asset(session, asset_id, member), member, photo_id)
    except DomainError:
        return _missing()
    return redirect(url_for("assets.edit", asset_id=asset_id) + "#photos", code=303)


@bp.route("/<int:asset_id>/shares", methods=["GET", "POST"])
@access(ADMINS)
def shares(asset_id: int):
    session, member = tenant_db(), current_member()
    try:
        asset = get_asset(session, asset_id, member)
    except DomainError:
        return _missing()
    people = session.scalars(select(Member).where(Member.left_at.is_(None)).order_by(Member.display_name)).all()
    organisations = session.scalars(select(Organisation).order_by(Organisation.name)).all()
    rows = [
        (share.party, share.member_id, share.organisation_id, f"{share.basis_points / 100:.2f}")
        for share, _n in current_shares(session, asset.id)
    ]
    error, errors, status = None, {}, 200
    if request.method == "POST":
        rows, data, errors = _shares_form()
        if not errors:
            try:
                ops.set_shares(session, asset, member, data)
                return redirect(url_for("assets.show", asset_id=asset.id), code=303)
            except DomainError as exc:
                error, errors, status = exc.message, exc.errors, exc.status
        else:
            error, status = _fix_message(), 400
    return _page(
        "assets/shares.html",
        status,
        asset=asset,
        rows=rows or [("lab", None, None, "100.00")],
        people=people,
        organisations=organisations,
        error=error,
        errors=errors,
        new=request.args.get("new"),
    )


def _shares_form():
    """Rows of the form: who ("member:12", "organisation:3", "lab") and a percentage."""
    rows, shares, errors = [], [], {}
    for i, (who, percent) in enumerate(zip(request.form.getlist("who"), request.form.getlist("percent"), strict=False)):
        if not who and not percent.strip():
            continue
        party, _, number = who.partition(":")
        points = percent_to_basis_points(percent)
        rows.append(
            (
                party,
                int(number) if party == "member" and number.isdigit() else None,
                int(number) if party == "organisation" and number.isdigit() else None,
                percent,
            )
        )
        if points is None:
            errors[f"shares.{i}"] = [_percent_message()]
            continue
        share = {"party": party, "basis_points": points}
        if party == "member":
            share["member_id"] = int(number) if number.isdigit() else None
        elif party == "organisation":
            share["organisation_id"] = int(number) if number.isdigit() else None
        shares.append(share)
    return rows, {"shares": shares}, errors


def _percent_message() -> str:
    from flask_babel import gettext

    return gettext("A percentage like 33,33.")


@bp.route("/<int:asset_id>/maintenance", methods=["GET", "POST"])
@access(ADMINS)
def maintenance(asset_id: int):
    session, member = tenant_db(), current_member()
    try:
        asset = get_asset(session, asset_id, member)
    except DomainError:
        return _missing()
    form, error, errors, status = (
        {"kind": "maintenance", "description": "", "blocks": False, "starts_at": "", "ends_at": ""},
        None,
        {},
        200,
    )
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in ("kind", "description", "starts_at", "ends_at")}
        form["blocks"] = request.form.get("blocks") == "on"
        try:
            ops.report_maintenance(session, asset, member, form)
            return redirect(url_for("assets.maintenance", asset_id=asset.id), code=303)
        except DomainError as exc:
            error, errors, status = exc.message, exc.errors, exc.status
    return _page(
        "assets/maintenance.html",
        status,
        asset=asset,
        entries=maintenance_of(session, asset.id),
        form=form,
        error=error,
        errors=errors,
        zone=tenant_zone(),
    )


@bp.post("/<int:asset_id>/maintenance/<int:entry_id>/resolve")
@access(ADMINS)
def resolve(asset_id: int, entry_id: int):
    session, member = tenant_db(), current_member()
    try:
        ops.resolve_maintenance(session, get_asset(session, asset_id, member), member, entry_id)
    except DomainError:
        return _missing()
    return redirect(url_for("assets.maintenance", asset_id=asset_id), code=303)


@bp.post("/payouts")
@access(ADMINS)
def pay_out():
    try:
        ops.pay_out(tenant_db(), current_member(), request.form.get("party", ""))
    except DomainError as exc:
        if exc.status == 404:
            return _missing()
        return _page("assets/refused.html", exc.status, message=exc.message, back=url_for("assets.manage"))
    return redirect(url_for("assets.manage") + "#payouts", code=303)
