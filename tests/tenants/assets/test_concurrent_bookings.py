"""Issue 13: no double booking under concurrent requests. Fifty requests for overlapping
times on one asset, over real HTTP at once: exactly one is booked, the others get 409 with
a clear message; a touching booking (end = start) is still fine. And without the page's
row lock, only the database's exclusion constraint stands between racing transactions:
still exactly one."""

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support.live_server import LiveServer
from wijknet.platform.db import SECOND_CONNECTIONS
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.assets.models import Asset, Booking
from wijknet.tenants.assets.operations import request_booking
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy

START = (datetime.now(timezone.utc) + timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)


def _at_once(count: int, action) -> list:
    """`action(i)` in `count` threads released together; their results in order."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i):
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test counts
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_fifty_overlapping_requests_over_http_book_exactly_once(app, engine, car, asset_lab, member_in):
    asset_id, _admin = car
    people = [member_in(asset_lab)[0] for _ in range(10)]
    with Session(engine) as session, session.begin():
        tokens = [
            create_token(session, tenant_id=asset_lab.id, user=session.get(User, user), name=f"t{n}")[1]
            for user in people
            for n in range(5)
        ]
    url = None

    def book(i):
        start = START + timedelta(minutes=10 * (i % 6))  # all overlap 09:50-10:00
        body = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}
        answer = requests.post(url, json=body, headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=60)
        return answer.status_code, answer.json()

    SECOND_CONNECTIONS.clear()
    with LiveServer(app) as server:
        url = f"{server.url}/t/{asset_lab.slug}/api/v1/assets/{asset_id}/bookings"
        results = _at_once(50, book)
        assert SECOND_CONNECTIONS == []  # one pooled connection per request at a time: no pool deadlock
        assert all(not isinstance(r, Exception) for r in results), [r for r in results if isinstance(r, Exception)][:3]
        assert Counter(status for status, _body in results) == {201: 1, 409: 49}
        refusals = {(body["code"], body["message"]) for status, body in results if status == 409}
        assert refusals == {
            ("assets.slot_taken", "Deze tijd is al geboekt. Kies een andere tijd: de kalender laat zien wat vrij is.")
        }
        won = next(body for status, body in results if status == 201)
        touching = {
            "starts_at": won["ends_at"],
            "ends_at": (datetime.fromisoformat(won["ends_at"]) + timedelta(hours=1)).isoformat(),
        }
        after = requests.post(url, json=touching, headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=60)
        assert after.status_code == 201, after.text
    with tenant_unit_of_work(engine, asset_lab) as session:
        assert len(session.scalars(select(Booking)).all()) == 2


def test_without_a_lock_the_exclusion_constraint_alone_allows_one(engine, car, asset_lab, member_in):
    asset_id, _admin = car
    member_ids = [member_in(asset_lab)[1] for _ in range(12)]

    def book(i):
        with tenant_unit_of_work(engine, asset_lab) as session:  # each its own transaction, no row lock
            start = START + timedelta(minutes=5 * i)
            data = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
            return request_booking(session, session.get(Asset, asset_id), session.get(Member, member_ids[i]), data).id

    results = _at_once(12, book)
    won = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if not isinstance(r, int)]
    assert len(won) == 1, results
    assert {getattr(r, "code", repr(r)) for r in refused} == {"assets.slot_taken"}
