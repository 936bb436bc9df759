"""Who sees what within one lab (mutation testing found these rules untested): a retired
asset is gone for members and still there for admins; a booking is its booker's and the
admins', never another member's; and two people bringing one booking back at the same
moment complete it once (the booking is locked while its step is taken)."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.live_server import LiveServer
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.assets.models import Asset, Booking
from wijknet.tenants.assets.operations import check_in, request_booking
from wijknet.tenants.core.models import Member
from wijknet.tenants.ledger.models import LedgerEntry

pytestmark = pytest.mark.tenancy


def _token(engine, lab, user_id):
    with Session(engine) as session, session.begin():
        return {
            "Authorization": "Bearer " + create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name="t")[1]
        }


def _booking(engine, lab, asset_id, member_id, *, start):
    with tenant_unit_of_work(engine, lab) as session:
        data = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
        return request_booking(session, session.get(Asset, asset_id), session.get(Member, member_id), data, now=start).id


def test_a_retired_asset_is_gone_for_members_and_there_for_admins(app, engine, car, asset_lab, member_in, login_as):
    asset_id, admin_member = car
    member_user, _ = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        session.get(Asset, asset_id).status = "retired"
        admin_user = session.get(Member, admin_member).user_id
    member, admin = login_as(app.test_client(), member_user), login_as(app.test_client(), admin_user)
    assert member.get(f"/t/{asset_lab.slug}/assets/{asset_id}").status_code == 404
    assert admin.get(f"/t/{asset_lab.slug}/assets/{asset_id}").status_code == 200
    api = f"/t/{asset_lab.slug}/api/v1/assets/{asset_id}"
    assert app.test_client().get(api, headers=_token(engine, asset_lab, member_user)).status_code == 404
    assert app.test_client().get(api, headers=_token(engine, asset_lab, admin_user)).status_code == 200


def test_a_booking_is_for_its_booker_and_the_admins_only(app, engine, car, asset_lab, member_in, login_as):
    asset_id, admin_member = car
    booker_user, booker = member_in(asset_lab, name="Bea Boeker")
    neighbour_user, _ = member_in(asset_lab, name="Nico Nieuwsgierig")
    booking_id = _booking(engine, asset_lab, asset_id, booker, start=datetime.now(timezone.utc) + timedelta(days=4))
    with tenant_unit_of_work(engine, asset_lab) as session:
        admin_user = session.get(Member, admin_member).user_id
    page = f"/t/{asset_lab.slug}/assets/bookings/{booking_id}"
    api = f"/t/{asset_lab.slug}/api/v1/assets/bookings/{booking_id}"
    for user, status in ((booker_user, 200), (admin_user, 200), (neighbour_user, 404)):
        assert login_as(app.test_client(), user).get(page).status_code == status, user
        assert app.test_client().get(api, headers=_token(engine, asset_lab, user)).status_code == status, user
    cancel = app.test_client().post(f"{api}/cancel", json={}, headers=_token(engine, asset_lab, neighbour_user))
    assert cancel.status_code == 404
    with tenant_unit_of_work(engine, asset_lab) as session:
        assert session.get(Booking, booking_id).status == "approved"


def test_two_returns_at_once_complete_the_booking_once(app, engine, asset_lab, member_in):
    _admin_user, admin = member_in(asset_lab, "admin")
    booker_user, booker = member_in(asset_lab)
    start = datetime.now(timezone.utc) - timedelta(minutes=30)
    with tenant_unit_of_work(engine, asset_lab) as session:
        from wijknet.tenants.assets.operations import create_asset

        bike = create_asset(
            session, session.get(Member, admin), {"kind": "other", "name": "Bakfiets", "price_cents": 300, "price_unit": "hour"}
        )
        bike_id = bike.id
    booking_id = _booking(engine, asset_lab, bike_id, booker, start=start)
    with tenant_unit_of_work(engine, asset_lab) as session:
        check_in(
            session, session.get(Booking, booking_id), session.get(Asset, bike_id), session.get(Member, booker), {}, now=start
        )
    headers = _token(engine, asset_lab, booker_user)
    barrier, answers = threading.Barrier(6), []
    with LiveServer(app) as server:
        url = f"{server.url}/t/{asset_lab.slug}/api/v1/assets/bookings/{booking_id}/check-out"

        def bring_back():
            barrier.wait()
            answers.append(requests.post(url, json={}, headers=headers, timeout=60).status_code)

        threads = [threading.Thread(target=bring_back) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(answers) == [200, 409, 409, 409, 409, 409]
    with tenant_unit_of_work(engine, asset_lab) as session:
        entries = session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source == f"booking:{booking_id}")
        )
        assert (session.get(Booking, booking_id).status, entries) == ("completed", 1)
