"""Shared assets (issue 13) through the pages and the API: an admin adds a car with euros
typed as people type them, says who brought it in, a member books it, another sees the slot
taken, the trip ends and the income shows; bad input gets a message and stores nothing;
another lab's people get 404 everywhere and cannot book by id; the calendar feed."""

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.support.images import png
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.assets.models import Asset, AssetPhoto, AssetShare, Booking
from wijknet.tenants.assets.operations import request_booking
from wijknet.tenants.core.models import Member

from .conftest import CAR

pytestmark = pytest.mark.tenancy

SATURDAY = (datetime.now(timezone.utc) + timedelta(days=12)).replace(hour=8, minute=0, second=0, microsecond=0)


def csrf(client, path):
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def key_of(client, path):
    found = re.search(r'name="request_key" value="([^"]+)"', client.get(path).get_data(as_text=True))
    return {"request_key": found.group(1)} if found else {}


def bearer(engine, lab, user_id):
    with Session(engine) as session, session.begin():
        return {
            "Authorization": "Bearer " + create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name="t")[1]
        }


def count(engine, lab, model):
    with tenant_unit_of_work(engine, lab) as session:
        return session.scalar(select(func.count()).select_from(model))


def local(moment: datetime) -> str:
    """As a phone's date-time field sends it: the lab's local time without offset."""
    return moment.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%dT%H:%M")


def upload_photo(client, asset_path, data: bytes):
    """A multipart upload encoded in memory (the test client would spool a large one to a
    temporary file it never closes)."""
    boundary, body = encode_multipart(
        {
            "csrf_token": csrf(client, f"{asset_path}/edit"),
            "photo": FileStorage(io.BytesIO(data), "photo.png", "photo", "image/png"),
        }
    )
    return client.post(f"{asset_path}/photos", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _book_page(client, lab, asset_id, start, end, note=""):
    path = f"/t/{lab.slug}/assets/{asset_id}"
    form = {
        "csrf_token": csrf(client, path),
        "starts_at": local(start),
        "ends_at": local(end),
        "note": note,
        **key_of(client, path),
    }
    return client.post(f"{path}/book", data=form)


def test_an_admin_adds_a_car_a_member_books_it_and_the_income_shows(app, engine, asset_lab, member_in, login_as):
    lab = asset_lab
    admin_user, _admin = member_in(lab, "admin", name="Anouk Admin")
    owner_user, owner = member_in(lab, name="Bram Bijdrager")
    booker_user, _booker = member_in(lab, name="Cor Chauffeur")
    other_user, _other = member_in(lab, name="Dina Buur")
    admin = login_as(app.test_client(), admin_user)

    new = f"/t/{lab.slug}/assets/new?kind=car"
    made = admin.post(
        new,
        data={
            "csrf_token": csrf(admin, new),
            **key_of(admin, new),
            "kind": "car",
            "name": "Deelauto Tarwewijk",
            "price": "4,50",
            "price_unit": "hour",
            "km_price": "0,25",
            "attributes.plate": "gv 123 x",
            "attributes.seats": "5",
            "attributes.fuel": "electric",
            "approval": "automatic",
            "min_role": "member",
            "status": "available",
        },
    )
    assert made.status_code == 303 and "/shares" in made.headers["Location"], made.get_data(as_text=True)[:2000]
    with tenant_unit_of_work(engine, lab) as session:
        car = session.scalars(select(Asset)).one()
        assert (car.price_cents, car.km_price_cents, car.attributes["plate"]) == (450, 25, "GV-123-X")
        car_id = car.id
    shares = made.headers["Location"]
    saved = admin.post(
        shares, data={"csrf_token": csrf(admin, shares), "who": [f"member:{owner}", "lab"], "percent": ["75", "25"]}
    )
    assert saved.status_code == 303
    # a photo, for the asset page
    photo = upload_photo(admin, f"/t/{lab.slug}/assets/{car_id}", png())
    assert photo.status_code == 303 and count(engine, lab, AssetPhoto) == 1

    booker = login_as(app.test_client(), booker_user)
    listing = booker.get(f"/t/{lab.slug}/assets/?kind=car&q=deelauto").get_data(as_text=True)
    assert "Deelauto Tarwewijk" in listing and "€ 4,50" in listing
    booked = _book_page(booker, lab, car_id, SATURDAY, SATURDAY + timedelta(hours=4), "Boodschappen")
    assert booked.status_code == 303
    booking_page = booker.get(booked.headers["Location"]).get_data(as_text=True)
    assert "goedgekeurd" in booking_page and "Ik heb hem opgehaald" in booking_page or "opgehaald" in booking_page

    other = login_as(app.test_client(), other_user)
    week = f"/t/{lab.slug}/assets/{car_id}?from={SATURDAY.date().isoformat()}"
    calendar = other.get(week).get_data(as_text=True)
    assert "slot-booking" in calendar and "Cor Chauffeur" not in calendar  # taken, not by whom
    clash = _book_page(other, lab, car_id, SATURDAY + timedelta(hours=1), SATURDAY + timedelta(hours=2))
    assert clash.status_code == 409 and "al geboekt" in clash.get_data(as_text=True)
    touching = _book_page(other, lab, car_id, SATURDAY + timedelta(hours=4), SATURDAY + timedelta(hours=5))
    assert touching.status_code == 303

    with tenant_unit_of_work(engine, lab) as session:  # Saturday comes: the trip starts within the hour
        booking = session.scalars(select(Booking).order_by(Booking.id)).first()
        soon = datetime.now(timezone.utc) + timedelta(minutes=30)
        booking.starts_at, booking.ends_at = soon, soon + timedelta(hours=4)
        booking_id = booking.id
    step = f"/t/{lab.slug}/assets/bookings/{booking_id}"
    token = csrf(booker, step)
    assert booker.post(f"{step}/check-in", data={"csrf_token": token, "km": "-5"}).status_code == 400
    assert booker.post(f"{step}/check-in", data={"csrf_token": token, "km": "1000"}).status_code == 303
    lower = booker.post(f"{step}/check-out", data={"csrf_token": token, "km": "900"})
    assert lower.status_code == 400 and "1000" in lower.get_data(as_text=True)
    assert booker.post(f"{step}/check-out", data={"csrf_token": token, "km": "1040"}).status_code == 303

    # 4 hours at € 4.50 and 40 km at € 0.25: € 28.00; 10 % fee; 75 % of € 25.20 to Bram
    earned = login_as(app.test_client(), owner_user).get(f"/t/{lab.slug}/assets/earnings").get_data(as_text=True)
    assert "Deelauto Tarwewijk" in earned and "€ 18,90" in earned and "75.00 %" in earned
    manage = admin.get(f"/t/{lab.slug}/assets/manage").get_data(as_text=True)
    assert "Bram Bijdrager" in manage and "€ 18,90" in manage
    paid = admin.post(
        f"/t/{lab.slug}/assets/payouts",
        data={"csrf_token": csrf(admin, f"/t/{lab.slug}/assets/manage"), "party": f"member:{owner}"},
    )
    assert paid.status_code == 303
    assert "Niemand heeft nog geld tegoed" in admin.get(f"/t/{lab.slug}/assets/manage").get_data(
        as_text=True
    ) or "€ 18,90" not in admin.get(f"/t/{lab.slug}/assets/manage").get_data(as_text=True)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (SATURDAY + timedelta(hours=2), SATURDAY, "Het einde ligt voor (of op) het begin"),
        (SATURDAY, SATURDAY + timedelta(days=3650), "hoogstens 14 dagen"),
        (SATURDAY - timedelta(days=400), SATURDAY - timedelta(days=399), "in het verleden"),
    ],
)
def test_bad_booking_times_get_a_message_on_the_page(app, engine, car, asset_lab, member_in, login_as, start, end, message):
    asset_id, _admin = car
    user, _member = member_in(asset_lab)
    client = login_as(app.test_client(), user)
    answer = _book_page(client, asset_lab, asset_id, start, end)
    assert answer.status_code == 400 and message in answer.get_data(as_text=True), answer.get_data(as_text=True)[-3000:]
    assert count(engine, asset_lab, Booking) == 0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"who": ["lab"], "percent": ["0"]}, "Een aandeel van 0,01 % tot 100 %"),
        ({"who": ["lab"], "percent": ["101"]}, "Een aandeel van 0,01 % tot 100 %"),
        ({"who": ["lab"], "percent": ["veel"]}, "Een percentage zoals 33,33"),
        ({"who": ["lab", "lab"], "percent": ["50", "50"]}, "Iedereen komt één keer voor"),
        ({"who": ["lab"], "percent": ["60"]}, "60.00 %"),
    ],
)
def test_bad_shares_get_a_message_and_nothing_is_stored(app, engine, car, asset_lab, member_in, login_as, rows, message):
    asset_id, _admin = car
    user, _member = member_in(asset_lab, "admin")
    client = login_as(app.test_client(), user)
    path = f"/t/{asset_lab.slug}/assets/{asset_id}/shares"
    answer = client.post(path, data={"csrf_token": csrf(client, path), **rows})
    assert answer.status_code == 400 and message in answer.get_data(as_text=True), answer.get_data(as_text=True)[-3000:]
    assert count(engine, asset_lab, AssetShare) == 0


@pytest.mark.parametrize(
    ("upload", "status", "message"),
    [
        (b"%PDF-1.4 not an image at all", 415, "PNG-, JPEG- of WebP"),
        (png(9000, 9000), 413, None),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 9 * 1024 * 1024, 413, None),
    ],
)
def test_a_bad_photo_gets_a_message_and_nothing_is_stored(
    app, engine, car, asset_lab, member_in, login_as, upload, status, message
):
    asset_id, _admin = car
    user, _member = member_in(asset_lab, "admin")
    client = login_as(app.test_client(), user)
    answer = upload_photo(client, f"/t/{asset_lab.slug}/assets/{asset_id}", upload)
    assert answer.status_code == status, answer.get_data(as_text=True)[-2000:]
    assert message is None or message in answer.get_data(as_text=True)
    assert count(engine, asset_lab, AssetPhoto) == 0


def test_the_api_books_refuses_overlaps_with_409_and_walks_the_steps(app, engine, car, asset_lab, member_in):
    asset_id, _admin = car
    user, member = member_in(asset_lab)
    admin_user, _ = member_in(asset_lab, "admin")
    client, headers, admin = app.test_client(), bearer(engine, asset_lab, user), bearer(engine, asset_lab, admin_user)
    base = f"/t/{asset_lab.slug}/api/v1/assets"
    listed = client.get(f"{base}/", headers=headers)
    assert listed.status_code == 200 and [a["id"] for a in listed.get_json()] == [asset_id]
    body = {"starts_at": SATURDAY.isoformat(), "ends_at": (SATURDAY + timedelta(hours=3)).isoformat()}
    made = client.post(f"{base}/{asset_id}/bookings", json=body, headers=headers)
    assert made.status_code == 201 and made.get_json()["status"] == "approved"
    clash = client.post(
        f"{base}/{asset_id}/bookings", json={**body, "ends_at": (SATURDAY + timedelta(hours=1)).isoformat()}, headers=headers
    )
    assert (
        clash.status_code == 409
        and clash.get_json()["code"] == "assets.slot_taken"
        and "al geboekt" in clash.get_json()["message"]
    )
    for bad, field in (
        ({"starts_at": body["ends_at"], "ends_at": body["starts_at"]}, "ends_at"),
        ({"starts_at": "gisteren", "ends_at": body["ends_at"]}, "starts_at"),
        ({"starts_at": body["starts_at"], "ends_at": (SATURDAY + timedelta(days=3650)).isoformat()}, "ends_at"),
    ):
        refused = client.post(f"{base}/{asset_id}/bookings", json=bad, headers=headers)
        assert refused.status_code in (400, 422) and field in str(refused.get_json()), refused.get_json()
    slots = client.get(f"{base}/{asset_id}/availability?from={SATURDAY.date().isoformat()}T00:00", headers=headers).get_json()
    assert [(s["kind"], s["mine"]) for s in slots] == [("booking", True)]
    too_wide = client.get(f"{base}/{asset_id}/availability?from=2026-01-01T00:00&until=2027-01-01T00:00", headers=headers)
    assert too_wide.status_code == 400 and too_wide.get_json()["code"] == "assets.window_invalid"
    booking_id = made.get_json()["id"]
    assert client.get(f"{base}/bookings", headers=headers).get_json()[0]["id"] == booking_id
    assert client.post(f"{base}/bookings/{booking_id}/approve", json={}, headers=headers).status_code == 403
    assert client.post(f"{base}/bookings/{booking_id}/fly", json={}, headers=headers).status_code == 404
    cancelled = client.post(f"{base}/bookings/{booking_id}/cancel", json={"reason": "ziek"}, headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    # admins: shares through the API, checked to the whole
    shares = f"{base}/{asset_id}/shares"
    half = client.put(shares, json={"shares": [{"party": "member", "member_id": member, "basis_points": 5000}]}, headers=admin)
    assert half.status_code == 422 and "50.00 %" in str(half.get_json())
    whole = client.put(shares, json={"shares": [{"party": "member", "member_id": member, "basis_points": 10000}]}, headers=admin)
    assert whole.status_code == 200 and whole.get_json()[0]["basis_points"] == 10000
    assert client.put(shares, json={"shares": [{"party": "lab", "basis_points": 10000}]}, headers=headers).status_code in (
        403,
        404,
    )
    assert client.get(f"{base}/payouts", headers=headers).status_code in (403, 404)
    assert client.get(f"{base}/earnings", headers=headers).get_json() == {
        "assets": [{"asset_id": asset_id, "asset_name": CAR["name"], "basis_points": 10000, "earned_cents": 0}],
        "earned_cents": 0,
        "due_cents": 0,
    }


def test_another_labs_people_get_404_everywhere_and_cannot_book_by_id(
    app, engine, car, asset_lab, member_in, make_tenant, login_as
):
    asset_id, admin = car
    mine, mine_member = member_in(asset_lab)
    with tenant_unit_of_work(engine, asset_lab) as session:
        booking = request_booking(
            session,
            session.get(Asset, asset_id),
            session.get(Member, mine_member),
            {"starts_at": SATURDAY.isoformat(), "ends_at": (SATURDAY + timedelta(hours=2)).isoformat()},
        )
        booking_id = booking.id
    other = make_tenant(modules=("assets", "ledger"))
    stranger_user, _ = member_in(other, "admin")  # an admin, of another lab
    stranger = login_as(app.test_client(), stranger_user)
    token = bearer(engine, other, stranger_user)
    slug = asset_lab.slug
    pages = [
        f"/t/{slug}/assets/{asset_id}",
        f"/t/{slug}/assets/{asset_id}/edit",
        f"/t/{slug}/assets/{asset_id}/shares",
        f"/t/{slug}/assets/{asset_id}/maintenance",
        f"/t/{slug}/assets/bookings/{booking_id}",
        f"/t/{slug}/assets/manage",
        f"/t/{slug}/assets/",
    ]
    for path in pages:
        answer = stranger.get(path)
        assert answer.status_code in (302, 404) and "Deelauto" not in answer.get_data(as_text=True), path
        if answer.status_code == 302:
            assert "/login" in answer.headers["Location"], path
    api = f"/t/{slug}/api/v1/assets"
    for method, path in (
        ("GET", f"{api}/{asset_id}"),
        ("GET", f"{api}/{asset_id}/availability"),
        ("POST", f"{api}/{asset_id}/bookings"),
        ("GET", f"{api}/bookings/{booking_id}"),
        ("POST", f"{api}/bookings/{booking_id}/cancel"),
    ):
        answer = app.test_client().open(
            path, method=method, headers=token, json={"starts_at": SATURDAY.isoformat()} if method == "POST" else None
        )
        assert answer.status_code in (401, 404), (path, answer.status_code)
    # by id in the stranger's own lab: ids are per lab, another lab's asset is simply not there
    own = f"/t/{other.slug}/api/v1/assets/{asset_id}/bookings"
    body = {"starts_at": (SATURDAY + timedelta(hours=5)).isoformat(), "ends_at": (SATURDAY + timedelta(hours=6)).isoformat()}
    assert app.test_client().post(own, json=body, headers=token).status_code == 404
    assert (
        app.test_client().post(f"/t/{other.slug}/api/v1/assets/bookings/{booking_id}/cancel", json={}, headers=token).status_code
        == 404
    )
    with tenant_unit_of_work(engine, asset_lab) as session:
        assert [(b.id, b.status) for b in session.scalars(select(Booking))] == [(booking_id, "approved")]


def test_the_calendar_feed_follows_a_secret_address(app, engine, car, asset_lab, member_in, login_as):
    asset_id, _admin = car
    user, member = member_in(asset_lab, name="Cor Chauffeur")
    with tenant_unit_of_work(engine, asset_lab) as session:
        request_booking(
            session,
            session.get(Asset, asset_id),
            session.get(Member, member),
            {"starts_at": SATURDAY.isoformat(), "ends_at": (SATURDAY + timedelta(hours=2)).isoformat()},
        )
    client = login_as(app.test_client(), user)
    path = f"/t/{asset_lab.slug}/assets/feeds"
    page = client.post(path, data={"csrf_token": csrf(client, path), "asset_id": ""}).get_data(as_text=True)
    address = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    feed = app.test_client().get(address.removeprefix("http://localhost"))  # a calendar app: no cookie
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(feed.data).walk("VEVENT")]
    assert len(events) == 1 and "Deelauto" in str(events[0]["SUMMARY"])
    assert events[0].decoded("DTSTART") == SATURDAY
    again = client.post(path, data={"csrf_token": csrf(client, path), "asset_id": ""})  # a new address ends the old one
    assert again.status_code == 200
    assert app.test_client().get(address.removeprefix("http://localhost")).status_code == 404
    assert app.test_client().get(f"/t/{asset_lab.slug}/assets/calendar/guess.ics").status_code == 404
