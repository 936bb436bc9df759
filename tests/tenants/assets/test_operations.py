"""Shared assets (issue 13), the rules through the operations: assets with kind-specific
attributes, dated shares summing to 100 %, bookings from request to completion, the price
and its split in the ledger to the cent, payments and payouts, cancellation with reversing
entries, maintenance that blocks, bad input refused with a message and nothing stored."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.support.citus import refused_at_commit
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.assets.models import Asset, AssetShare, Booking
from wijknet.tenants.assets.operations import (
    approve_booking,
    cancel_booking,
    check_in,
    check_out,
    complete_booking,
    create_asset,
    decline_booking,
    pay_out,
    record_payment,
    report_maintenance,
    request_booking,
    resolve_maintenance,
    set_shares,
    shares_at,
    update_asset,
)
from wijknet.tenants.core.models import Member, Organisation
from wijknet.tenants.ledger.models import LedgerEntry, LedgerLine
from wijknet.tenants.ledger.operations import balance

from .conftest import CAR, SATURDAY, iso

pytestmark = pytest.mark.tenancy


def _refused(action) -> tuple[int, str, dict]:
    with pytest.raises(Exception) as refused:
        action()
    error = refused.value
    return error.status, error.code, error.errors


def test_an_asset_has_its_kinds_attributes_cleaned(engine, car, asset_lab):
    asset_id, _admin = car
    with tenant_unit_of_work(engine, asset_lab) as session:
        asset = session.get(Asset, asset_id)
        assert asset.attributes == {"plate": "GV-123-X", "seats": 5, "fuel": "electric"}
        assert (asset.max_days, asset.approval, asset.status) == (14, "automatic", "available")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "x"}, "name"),
        ({"kind": "castle"}, "kind"),
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": "twelve"}, "price_cents"),
        ({"price_unit": "week"}, "price_unit"),
        ({"attributes": {"seats": 40}}, "attributes.seats"),
        ({"attributes": {"plate": "not a plate!"}}, "attributes.plate"),
        ({"max_days": 400}, "max_days"),
    ],
)
def test_a_bad_asset_is_refused_per_field_and_nothing_stored(engine, asset_lab, member_in, change, field):
    _user, admin = member_in(asset_lab, "admin")
    with tenant_unit_of_work(engine, asset_lab) as session:
        status, code, errors = _refused(lambda: create_asset(session, session.get(Member, admin), {**CAR, **change}))
        assert (status, code) == (400, "assets.asset_invalid") and field in errors, errors
        assert session.scalar(select(func.count()).select_from(Asset)) == 0


def test_only_admins_make_and_change_assets(engine, car, asset_lab, member_in):
    asset_id, _admin = car
    _user, member = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        someone = session.get(Member, member)
        assert _refused(lambda: create_asset(session, someone, CAR))[:2] == (403, "assets.admin_only")
        assert _refused(lambda: update_asset(session, session.get(Asset, asset_id), someone, CAR))[:2] == (
            403,
            "assets.admin_only",
        )


def test_shares_sum_to_a_whole_are_dated_and_never_changed(engine, car, asset_lab, member_in):
    asset_id, admin = car
    _u1, gerda = member_in(asset_lab, name="Gerda")
    _u2, wim = member_in(asset_lab, name="Wim")
    with tenant_unit_of_work(engine, asset_lab) as session:
        asset, boss = session.get(Asset, asset_id), session.get(Member, admin)
        first = SATURDAY - timedelta(days=30)
        set_shares(session, asset, boss, {"shares": [{"party": "member", "member_id": gerda, "basis_points": 10000}]}, now=first)
        set_shares(
            session,
            asset,
            boss,
            {
                "shares": [
                    {"party": "member", "member_id": gerda, "basis_points": 6000},
                    {"party": "member", "member_id": wim, "basis_points": 4000},
                ]
            },
            now=SATURDAY - timedelta(days=1),
        )
        assert shares_at(session, asset_id, SATURDAY - timedelta(days=5)) == {f"member:{gerda}": 10000}
        assert shares_at(session, asset_id, SATURDAY) == {f"member:{gerda}": 6000, f"member:{wim}": 4000}
        assert shares_at(session, asset_id, first - timedelta(days=1)) == {"lab": 10000}  # before anyone: the lab's
        for shares, message in (
            ([{"party": "member", "member_id": gerda, "basis_points": 10100}], "0.01 % to 100 %"),
            ([{"party": "member", "member_id": gerda, "basis_points": 0}], "0.01 % to 100 %"),
            ([{"party": "member", "member_id": gerda, "basis_points": 5000}], "50.00 %"),
            ([{"party": "lab", "basis_points": 5000}, {"party": "lab", "basis_points": 5000}], "once"),
            ([{"party": "member", "member_id": 10**9, "basis_points": 10000}], "Choose a member"),
            ([{"party": "organisation", "organisation_id": 10**9, "basis_points": 10000}], "Choose a member"),
        ):
            status, code, errors = _refused(lambda shares=shares: set_shares(session, asset, boss, {"shares": shares}))
            assert status == 400 and code == "assets.shares_invalid" and message in str(errors), errors
    with pytest.raises(DBAPIError, match="shares are dated and never changed"):
        with tenant_unit_of_work(engine, asset_lab) as session:
            session.execute(text("UPDATE asset_shares SET basis_points = 1"))
    with pytest.raises(DBAPIError, match=refused_at_commit(engine, "sum to 5000 basis points")):
        with tenant_unit_of_work(engine, asset_lab) as session:
            session.add(AssetShare(asset_id=asset_id, valid_from=SATURDAY, party="lab", basis_points=5000))


def _book(session, asset_id, member_id, start, hours=3, **extra):
    asset, member = session.get(Asset, asset_id), session.get(Member, member_id)
    return request_booking(
        session, asset, member, {"starts_at": iso(start), "ends_at": iso(start + timedelta(hours=hours)), **extra}
    )


def test_a_car_booking_from_request_to_income_split_to_the_cent(engine, car, asset_lab, member_in):
    asset_id, admin = car
    _u1, gerda = member_in(asset_lab, name="Gerda")
    _u2, wim = member_in(asset_lab, name="Wim")
    _u3, ricardo = member_in(asset_lab, name="Ricardo")
    with tenant_unit_of_work(engine, asset_lab) as session:
        org = Organisation(name="Woonstad Rotterdam", kind="housing_corporation")
        session.add(org)
        session.flush()
        boss = session.get(Member, admin)
        set_shares(
            session,
            session.get(Asset, asset_id),
            boss,
            {
                "shares": [
                    {"party": "member", "member_id": gerda, "basis_points": 3333},
                    {"party": "member", "member_id": wim, "basis_points": 3333},
                    {"party": "organisation", "organisation_id": org.id, "basis_points": 3334},
                ]
            },
            now=SATURDAY - timedelta(days=3),
        )
        booking = _book(session, asset_id, ricardo, SATURDAY, hours=3)
        assert booking.status == "approved"  # automatic approval
        asset, driver = session.get(Asset, asset_id), session.get(Member, ricardo)
        check_in(session, booking, asset, driver, {"km": 10200}, now=SATURDAY)
        check_out(session, booking, asset, driver, {"km": 10262}, fee_percent=10, now=SATURDAY + timedelta(hours=3))
        # 3 hours x 5.00 + 62 km x 0.25 = 30.50; fee 3.05; 27.45 over 33.33/33.33/33.34 %
        assert (booking.status, booking.price_cents, booking.fee_cents) == ("completed", 3050, 305)
        payables = {
            ref: -balance(session, ref)
            for ref in (f"payable:member:{gerda}", f"payable:member:{wim}", f"payable:organisation:{org.id}")
        }
        assert sorted(payables.values()) == [915, 915, 915] and sum(payables.values()) + 305 == 3050
        assert balance(session, "receivable") == 3050 and balance(session, "fees") == -305
        record_payment(session, booking, boss)
        assert balance(session, "receivable") == 0 and balance(session, "bank") == 3050
        assert _refused(lambda: record_payment(session, booking, boss))[:2] == (409, "assets.already_paid")
        assert pay_out(session, boss, f"member:{gerda}") == 915
        assert balance(session, f"payable:member:{gerda}") == 0 and balance(session, "bank") == 3050 - 915
        assert _refused(lambda: pay_out(session, boss, f"member:{gerda}"))[:2] == (409, "assets.nothing_due")
        assert _refused(lambda: pay_out(session, session.get(Member, gerda), f"member:{wim}"))[:2] == (403, "assets.admin_only")
        unbalanced = session.execute(
            select(LedgerLine.entry_id).group_by(LedgerLine.entry_id).having(func.sum(LedgerLine.amount_cents) != 0)
        ).all()
        assert unbalanced == []


def test_a_cancelled_paid_booking_is_corrected_by_reversing_entries(engine, car, asset_lab, member_in):
    asset_id, admin = car
    _u, driver_id = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        boss, driver, asset = session.get(Member, admin), session.get(Member, driver_id), session.get(Asset, asset_id)
        booking = _book(session, asset_id, driver_id, SATURDAY)
        check_in(session, booking, asset, driver, {"km": 100}, now=SATURDAY)
        check_out(session, booking, asset, driver, {"km": 140}, fee_percent=10, now=SATURDAY + timedelta(hours=3))
        record_payment(session, booking, boss)
        assert _refused(lambda: cancel_booking(session, booking, driver, "te laat"))[:2] == (409, "assets.not_cancellable")
        cancel_booking(session, booking, boss, "dubbel betaald")
        assert booking.status == "cancelled"
        for ref in ("bank", "receivable", "fees", "lab-share"):
            assert balance(session, ref) == 0, ref
        entries = session.scalars(
            select(LedgerEntry).where(LedgerEntry.source == f"booking:{booking.id}").order_by(LedgerEntry.id)
        ).all()
        assert len(entries) == 4 and [e.reverses_id is not None for e in entries] == [False, False, True, True]
    # the slot is free again
    with tenant_unit_of_work(engine, asset_lab) as session:
        assert _book(session, asset_id, driver_id, SATURDAY).status == "approved"


def test_overlapping_bookings_are_refused_touching_ones_allowed(engine, car, asset_lab, member_in):
    asset_id, _admin = car
    _u1, first = member_in(asset_lab)
    _u2, second = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        _book(session, asset_id, first, SATURDAY, hours=3)
    with tenant_unit_of_work(engine, asset_lab) as session:
        status, code, _e = _refused(lambda: _book(session, asset_id, second, SATURDAY + timedelta(hours=2), hours=2))
        assert (status, code) == (409, "assets.slot_taken")
        touching = _book(session, asset_id, second, SATURDAY + timedelta(hours=3), hours=2)  # ends 11:00, starts 11:00
        assert touching.status == "approved"
        before = _book(session, asset_id, second, SATURDAY - timedelta(hours=2), hours=2)
        assert before.status == "approved"


@pytest.mark.parametrize(
    ("times", "field", "message"),
    [
        ({"starts_at": iso(SATURDAY), "ends_at": iso(SATURDAY - timedelta(hours=1))}, "ends_at", "before"),
        ({"starts_at": iso(SATURDAY), "ends_at": iso(SATURDAY)}, "ends_at", "before"),
        ({"starts_at": iso(SATURDAY), "ends_at": iso(SATURDAY + timedelta(days=3650))}, "ends_at", "at most 14 days"),
        ({"starts_at": iso(SATURDAY - timedelta(days=30)), "ends_at": iso(SATURDAY - timedelta(days=29))}, "starts_at", "past"),
        (
            {"starts_at": iso(SATURDAY + timedelta(days=800)), "ends_at": iso(SATURDAY + timedelta(days=801))},
            "starts_at",
            "year ahead",
        ),
        ({"starts_at": "zaterdag", "ends_at": iso(SATURDAY)}, "starts_at", "date and time"),
        ({"starts_at": iso(SATURDAY)}, "ends_at", "When does it end"),
        ({"starts_at": "1900-01-01T10:00", "ends_at": iso(SATURDAY)}, "starts_at", "date and time"),
    ],
)
def test_bad_booking_times_are_refused_and_nothing_stored(engine, car, asset_lab, member_in, times, field, message):
    asset_id, _admin = car
    _u, member = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        status, _code, errors = _refused(
            lambda: request_booking(session, session.get(Asset, asset_id), session.get(Member, member), times)
        )
        assert status == 400 and message in str(errors.get(field)), errors
        assert session.scalar(select(func.count()).select_from(Booking)) == 0


def test_kilometres_must_make_sense(engine, car, asset_lab, member_in):
    asset_id, _admin = car
    _u, driver_id = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        asset, driver = session.get(Asset, asset_id), session.get(Member, driver_id)
        booking = _book(session, asset_id, driver_id, SATURDAY)
        assert _refused(lambda: check_in(session, booking, asset, driver, {}, now=SATURDAY))[1] == "assets.km_required"
        assert _refused(lambda: check_in(session, booking, asset, driver, {"km": -5}, now=SATURDAY))[1] == "assets.km_invalid"
        assert (
            _refused(lambda: check_in(session, booking, asset, driver, {"km": 5}, now=SATURDAY - timedelta(hours=2)))[1]
            == "assets.too_early"
        )
        check_in(session, booking, asset, driver, {"km": 500}, now=SATURDAY)
        assert (
            _refused(lambda: check_out(session, booking, asset, driver, {"km": 499}, fee_percent=10))[1]
            == "assets.km_below_start"
        )
        assert booking.status == "checked_in"


def test_admin_approval_maintenance_and_damage(engine, car, asset_lab, member_in):
    asset_id, admin = car
    _u, member_id = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        boss, member, asset = session.get(Member, admin), session.get(Member, member_id), session.get(Asset, asset_id)
        update_asset(session, asset, boss, {**CAR, "approval": "admin", "min_role": "member"})
        waiting = _book(session, asset_id, member_id, SATURDAY)
        assert waiting.status == "requested"
        assert _refused(lambda: approve_booking(session, waiting, member))[:2] == (403, "assets.admin_only")
        decline_booking(session, waiting, boss, "de auto is dan in onderhoud")
        assert waiting.status == "declined"
        assert _refused(lambda: approve_booking(session, waiting, boss))[1] == "assets.not_requested"
        again = _book(session, asset_id, member_id, SATURDAY)  # a declined booking frees its slot
        approve_booking(session, again, boss)
        # a member reports damage (it cannot block); an admin's blocking maintenance does
        report = report_maintenance(session, asset, member, {"kind": "damage", "description": "Kras op de deur", "blocks": True})
        assert report.blocks is False
        assert (
            _refused(lambda: report_maintenance(session, asset, member, {"kind": "maintenance", "description": "APK"}))[1]
            == "assets.admin_only"
        )
        block = report_maintenance(
            session,
            asset,
            boss,
            {
                "kind": "maintenance",
                "description": "APK-keuring",
                "blocks": True,
                "starts_at": iso(SATURDAY + timedelta(days=1)),
                "ends_at": iso(SATURDAY + timedelta(days=2)),
            },
        )
        assert _refused(lambda: _book(session, asset_id, member_id, SATURDAY + timedelta(days=1, hours=2)))[1] == "assets.blocked"
        resolve_maintenance(session, asset, boss, block.id)
        assert _book(session, asset_id, member_id, SATURDAY + timedelta(days=1, hours=2)).status == "requested"


def test_who_may_book_and_what_can_be_booked(engine, car, asset_lab, member_in):
    asset_id, admin = car
    _u, member_id = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        boss, asset = session.get(Member, admin), session.get(Asset, asset_id)
        update_asset(session, asset, boss, {**CAR, "min_role": "moderator"})
        assert _refused(lambda: _book(session, asset_id, member_id, SATURDAY))[:2] == (403, "assets.not_eligible")
        update_asset(session, asset, boss, {**CAR, "status": "maintenance"})
        assert _refused(lambda: _book(session, asset_id, admin, SATURDAY))[:2] == (409, "assets.not_available")


def test_a_damage_reported_at_return_waits_for_an_admin(engine, car, asset_lab, member_in):
    asset_id, admin = car
    _u, driver_id = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        boss, driver, asset = session.get(Member, admin), session.get(Member, driver_id), session.get(Asset, asset_id)
        booking = _book(session, asset_id, driver_id, SATURDAY)
        check_in(session, booking, asset, driver, {"km": 1}, now=SATURDAY)
        check_out(session, booking, asset, driver, {"km": 11, "damage": "Spiegel kapot"}, fee_percent=10)
        assert booking.status == "checked_out" and booking.price_cents is None
        complete_booking(session, booking, asset, boss, fee_percent=0)
        assert booking.price_cents == 3 * 500 + 10 * 25 and booking.fee_cents == 0
        assert balance(session, "lab-share") == -(3 * 500 + 10 * 25)  # nobody brought it in: the lab's
