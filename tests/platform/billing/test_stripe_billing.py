"""Issue 12, billing against localstripe (a real, local Stripe): signed webhooks, recorded
once per event, that end in the same billing state whatever their order or repetition; a
forged event refused with 400 and changing nothing; payment overdue past the grace period
makes a lab read-only (reads work, data intact) until it is paid."""

import json
import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import InternalError
from sqlalchemy.orm import Session

from wijknet.platform.billing.gateway import StripeGateway
from wijknet.platform.billing.operations import ensure_customer
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.models import StripeEvent, Tenant
from wijknet.platform.tenancy.uow import tenant_unit_of_work

from ...support.forms import post_form
from ...support.live_server import LiveServer
from ...support.recording_server import RecordingServer
from .conftest import FAILING_CARD, GOOD_CARD, SECRET_KEY, WEBHOOK_SECRET, wait_for

pytestmark = pytest.mark.tenancy
WEBHOOK = "/api/v1/billing/stripe-webhook"


def _customer_for(engine, lab, url) -> str:
    gateway = StripeGateway(SECRET_KEY, WEBHOOK_SECRET, url)
    with Session(engine) as session, session.begin():
        return ensure_customer(session, gateway, session.get(Tenant, lab.id), "beheer@example.org")


def _state(engine, lab) -> tuple:
    with Session(engine) as session:
        t = session.get(Tenant, lab.id)
        return t.billing_status, t.stripe_subscription_id, t.plan, t.past_due_since is not None


def _reset(engine, lab, event_ids) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(Tenant)
            .where(Tenant.id == lab.id)
            .values(billing_status="trialing", stripe_subscription_id=None, plan="pilot", past_due_since=None)
        )
        session.execute(StripeEvent.__table__.delete().where(StripeEvent.id.in_(event_ids)))


def _deliver(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json", **({"Stripe-Signature": signature} if signature else {})}
    return client.post(WEBHOOK, data=body, headers=headers)


def _recorded_events(inbox, expected: dict) -> list:
    """The webhooks localstripe sent, once every expected type arrived as often as expected."""

    def complete():
        types = [json.loads(r.body)["type"] for r in inbox.posted("/hook")]
        return all(types.count(kind) >= n for kind, n in expected.items())

    try:
        wait_for(complete, what=f"webhooks {expected}")
    except AssertionError:
        raise AssertionError(f"expected {expected}, got {[json.loads(r.body)['type'] for r in inbox.posted('/hook')]}") from None
    return [(r.body, r.headers["Stripe-Signature"]) for r in inbox.posted("/hook")]


def test_replayed_shuffled_and_forged_events_end_in_the_ordered_streams_state(billing_app, engine, make_tenant, stripe_world):
    lab = make_tenant(plan="pilot")
    with RecordingServer() as inbox:
        stripe_world.send_webhooks_to(f"{inbox.url}/hook")
        customer = _customer_for(engine, lab, stripe_world.url)
        # the lab's billing life: subscribes, card fails on a change of plan, pays, cancels, subscribes again
        stripe_world.use_card(customer, GOOD_CARD)
        first = stripe_world.subscribe(customer, "buurt")
        stripe_world.use_card(customer, FAILING_CARD)
        assert stripe_world.move_to(first, "netwerk").status == "past_due"
        stripe_world.use_card(customer, GOOD_CARD)
        stripe_world.pay_open_invoices(customer)
        stripe_world.cancel(first)
        second = stripe_world.subscribe(customer, "buurt")
        events = _recorded_events(
            inbox,
            {
                "customer.subscription.created": 2,
                "customer.subscription.deleted": 1,
                "invoice.created": 3,
                "invoice.payment_succeeded": 3,
            },
        )
    ids = [json.loads(body)["id"] for body, _sig in events]
    client = billing_app.test_client()

    ordered = sorted(events, key=lambda e: json.loads(e[0])["created"])
    _reset(engine, lab, ids)
    for body, signature in ordered:
        assert _deliver(client, body, signature).status_code == 200
    expected = ("active", second.id, "buurt", False)  # the newer, live subscription wins; nothing overdue
    assert _state(engine, lab) == expected

    # the same events again, twice each, shuffled, with forgeries among them
    # The newest event that names a subscription, another subscription's id put in after
    # signing (the newest event of all may name neither: a payment intent, an invoice).
    body, signature = next(e for e in reversed(ordered) if first.id.encode() in e[0] or second.id.encode() in e[0])
    swap = (second.id, first.id) if second.id.encode() in body else (first.id, second.id)
    altered = body.replace(swap[0].encode(), swap[1].encode())
    assert altered != body
    forged = [
        (altered, signature),  # altered after signing
        (body, signature.replace(signature.split("v1=")[1][:8], "00000000")),  # a signature that is not Stripe's
        (body, None),  # no signature at all
        (body, "t=1,v1=" + "0" * 64),  # an old timestamp with a made-up signature
    ]
    stream = events * 2
    random.Random(12).shuffle(stream)
    _reset(engine, lab, ids)
    outcomes = []
    for i, (body, signature) in enumerate(stream):
        if i % 3 == 0 and forged:
            with Session(engine) as session:
                before = (session.scalar(select(func.count()).select_from(StripeEvent)), _state(engine, lab))
            refused = _deliver(client, *forged.pop())
            assert refused.status_code == 400 and refused.json["code"].startswith("billing.")
            with Session(engine) as session:
                assert (session.scalar(select(func.count()).select_from(StripeEvent)), _state(engine, lab)) == before
        answer = _deliver(client, body, signature)
        assert answer.status_code == 200
        outcomes.append(answer.json["outcome"])
    assert not forged and outcomes.count("duplicate") == len(events)
    assert _state(engine, lab) == expected
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(StripeEvent).where(StripeEvent.id.in_(ids))) == len(set(ids))
        log = (
            session.execute(
                text(
                    "SELECT detail->>'to' FROM platform.staff_audit_log WHERE tenant_id = :id AND action = 'billing.status_changed'"
                ),
                {"id": lab.id},
            )
            .scalars()
            .all()
        )
    assert "active" in log


def _post_something(client, lab, headers):
    return client.post(
        f"/t/{lab.slug}/api/v1/board/posts",
        json={"kind": "offer", "title": "Ladder te leen", "body": "Vier meter", "categories": ["klussen"]},
        headers=headers,
    )


def test_overdue_past_the_grace_period_is_read_only_until_paid(environ, engine, make_tenant, make_member, stripe_world, login_as):
    from wijknet.platform.app import create_app

    from .conftest import billing_environ

    app = create_app(billing_environ(environ, stripe_world.url), engine=engine)
    lab = make_tenant(plan="pilot", modules=("board",))
    admin, member = make_member(lab, "admin"), make_member(lab)
    with Session(engine) as session, session.begin():
        headers = {
            "Authorization": "Bearer " + create_token(session, tenant_id=lab.id, user=session.get(User, member), name="t")[1]
        }
    with LiveServer(app) as server:
        stripe_world.send_webhooks_to(f"{server.url}{WEBHOOK}")  # delivered for real, to the running app
        customer = _customer_for(engine, lab, stripe_world.url)
        stripe_world.use_card(customer, GOOD_CARD)
        subscription = stripe_world.subscribe(customer, "buurt")
        wait_for(lambda: _state(engine, lab)[0] == "active", what="the subscription to be active")
        stripe_world.use_card(customer, FAILING_CARD)
        stripe_world.move_to(subscription, "netwerk")
        wait_for(lambda: _state(engine, lab)[0] == "past_due", what="the lab to be past due")

        client = app.test_client()
        assert _post_something(client, lab, headers).status_code == 201  # within the grace period: business as usual
        admin_client = login_as(app.test_client(), admin)
        assert "Betaal vóór" in admin_client.get(f"/t/{lab.slug}/").get_data(as_text=True)

        with Session(engine) as session, session.begin():  # fifteen days later (the grace period is 14)
            session.execute(
                update(Tenant).where(Tenant.id == lab.id).values(past_due_since=datetime.now(timezone.utc) - timedelta(days=15))
            )
        refused = _post_something(client, lab, {**headers, "Accept-Language": "nl"})
        assert refused.status_code == 423 and "achterstallig" in refused.json["message"]
        page = login_as(app.test_client(), member)
        new_post = post_form(
            page, f"/t/{lab.slug}/board/new", {"kind": "need", "title": "Hulp", "body": "x", "categories": "groen"}
        )
        assert new_post.status_code == 423 and "achterstallig" in new_post.get_data(as_text=True)
        listed = client.get(f"/t/{lab.slug}/api/v1/board/posts", headers=headers)
        assert listed.status_code == 200 and [p["title"] for p in listed.json] == ["Ladder te leen"]  # reads work, data intact
        home = admin_client.get(f"/t/{lab.slug}/").get_data(as_text=True)
        assert "Nu betalen" in home and "tot er betaald is" in home
        assert "Nu betalen" not in page.get(f"/t/{lab.slug}/").get_data(as_text=True)  # members are told, admins can pay
        assert admin_client.get(f"/t/{lab.slug}/admin/billing").status_code == 200  # paying stays possible
        assert post_form(admin_client, f"/t/{lab.slug}/admin/export").status_code == 200  # and taking one's data along
        # the database refuses too, whatever a view might forget
        with pytest.raises(InternalError, match="read-only transaction"):
            with tenant_unit_of_work(engine, lab) as session:
                session.execute(text("INSERT INTO audit_log (action) VALUES ('sneaky')"))

        stripe_world.use_card(customer, GOOD_CARD)
        stripe_world.pay_open_invoices(customer)
        wait_for(lambda: _state(engine, lab)[0] == "active", what="the payment to arrive")
    assert _state(engine, lab) == ("active", subscription.id, "netwerk", False)
    assert _post_something(client, lab, headers).status_code == 201  # paid: open for changes again


CHECKOUT_URL = "https://checkout.stripe.test/c/cs_test_1"
PORTAL_URL = "https://billing.stripe.test/p/session_1"


def test_checkout_and_portal_send_what_stripe_needs(environ, engine, make_tenant, make_member, login_as):
    """localstripe has no Checkout or Billing Portal: a recording server checks what we send."""
    from wijknet.platform.app import create_app

    from .conftest import PRICES, billing_environ

    with RecordingServer(
        answers={
            ("POST", "/v1/customers"): (200, {"id": "cus_rec1", "object": "customer"}),
            ("POST", "/v1/checkout/sessions"): (200, {"id": "cs_test_1", "object": "checkout.session", "url": CHECKOUT_URL}),
            ("POST", "/v1/billing_portal/sessions"): (
                200,
                {"id": "bps_1", "object": "billing_portal.session", "url": PORTAL_URL},
            ),
        }
    ) as stripe_api:
        app = create_app(billing_environ(environ, stripe_api.url), engine=engine)
        lab = make_tenant(name="Betalend Lab")
        admin = login_as(app.test_client(), make_member(lab, "admin"))
        billing = f"/t/{lab.slug}/admin/billing"
        assert "Neem Buurt" in admin.get(billing).get_data(as_text=True)
        assert "Betaalgegevens en facturen" not in admin.get(billing).get_data(as_text=True)  # no customer yet

        started = post_form(admin, billing, {"plan": "buurt"}, to=f"{billing}/checkout")
        assert started.status_code == 303 and started.headers["Location"] == CHECKOUT_URL
        (customer,) = stripe_api.posted("/v1/customers")
        assert customer.headers["Authorization"] == f"Bearer {SECRET_KEY}"
        assert customer.form["name"] == "Betalend Lab" and customer.form["metadata[tenant_id]"] == str(lab.id)
        (checkout,) = stripe_api.posted("/v1/checkout/sessions")
        assert checkout.form == {
            "mode": "subscription",
            "customer": "cus_rec1",
            "line_items[0][price]": PRICES["buurt"],
            "line_items[0][quantity]": "1",
            "success_url": f"http://localhost{billing}?checkout=done",
            "cancel_url": f"http://localhost{billing}?checkout=cancelled",
            "client_reference_id": str(lab.id),
            "subscription_data[metadata][tenant_id]": str(lab.id),
        }
        post_form(admin, billing, {"plan": "netwerk"}, to=f"{billing}/checkout")
        assert len(stripe_api.posted("/v1/customers")) == 1  # one Stripe customer per lab

        portal = post_form(admin, billing, to=f"{billing}/portal")
        assert portal.status_code == 303 and portal.headers["Location"] == PORTAL_URL
        assert stripe_api.posted("/v1/billing_portal/sessions")[0].form == {
            "customer": "cus_rec1",
            "return_url": f"http://localhost{billing}",
        }

        not_for_sale = post_form(admin, billing, {"plan": "pilot"}, to=f"{billing}/checkout")
        assert not_for_sale.status_code == 400 and "niet online af te sluiten" in not_for_sale.get_data(as_text=True)
        assert post_form(admin, billing, {"plan": "goud"}, to=f"{billing}/checkout").status_code == 400
        member = login_as(app.test_client(), make_member(lab))
        assert member.get(billing).status_code == 404
        stripe_api.answers[("POST", "/v1/checkout/sessions")] = (500, {"error": {"message": "boom"}})
        down = post_form(admin, billing, {"plan": "buurt"}, to=f"{billing}/checkout")
        assert down.status_code == 503 and "betaaldienst" in down.get_data(as_text=True)

    unconfigured = login_as(create_app(environ, engine=engine).test_client(), make_member(lab, "admin"))
    assert "nog niet ingesteld" in unconfigured.get(billing).get_data(as_text=True)
    refused = post_form(unconfigured, billing, {"plan": "buurt"}, to=f"{billing}/checkout")
    assert refused.status_code == 400 and "niet online af te sluiten" in refused.get_data(as_text=True)
