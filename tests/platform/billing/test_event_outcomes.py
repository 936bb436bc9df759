"""What a Stripe event comes to when it cannot or need not change a lab, and the staff
audit trail of a billing status (platform/billing/operations.py). These paths end before
Stripe is asked anything, so no gateway is needed; the whole flow against localstripe is
in test_stripe_billing.py."""

import secrets
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.billing.operations import BillingError, apply_subscription, handle_event, open_portal
from wijknet.platform.billing.plans import load_plans
from wijknet.platform.identity.models import User
from wijknet.platform.tenancy.models import StaffAuditEntry, StripeEvent, Tenant

pytestmark = pytest.mark.tenancy


def _event(kind: str, obj: dict) -> dict:
    return {"id": f"evt_{secrets.token_hex(8)}", "type": kind, "created": 1_800_000_000, "data": {"object": obj}}


def _handle(engine, event) -> tuple[str, str]:
    with Session(engine) as session, session.begin():
        outcome = handle_event(session, None, load_plans(), event)
    with Session(engine) as session:
        return outcome, session.get(StripeEvent, event["id"]).outcome


def test_an_event_about_no_lab_of_ours_is_recorded_as_such(engine):
    event = _event("customer.subscription.updated", {"id": "sub_x", "customer": f"cus_{secrets.token_hex(6)}"})
    assert _handle(engine, event) == ("no tenant", "no tenant")
    assert _handle(engine, event) == ("duplicate", "no tenant")  # a replay changes nothing
    with Session(engine) as session:  # when Stripe made it, not when it arrived
        assert session.get(StripeEvent, event["id"]).created == datetime.fromtimestamp(1_800_000_000, timezone.utc)


def test_an_event_without_a_time_is_recorded_at_its_arrival(engine):
    event = _event("customer.created", {"id": "cus_1"}) | {"created": None}
    before = datetime.now(timezone.utc)
    _handle(engine, event)
    with Session(engine) as session:
        assert before <= session.get(StripeEvent, event["id"]).created <= datetime.now(timezone.utc)


def test_an_invoice_of_a_lab_without_a_subscription_is_recorded_as_such(engine, make_tenant):
    lab = make_tenant()
    event = _event("invoice.paid", {"id": "in_1", "customer": None, "metadata": {"tenant_id": str(lab.id)}})
    assert _handle(engine, event) == ("no subscription", "no subscription")


def test_an_event_of_another_kind_is_ignored(engine):
    assert _handle(engine, _event("customer.created", {"id": "cus_1"})) == ("ignored", "ignored")


def _status_entries(engine, lab) -> list[dict]:
    with Session(engine) as session:
        return [
            entry.detail
            for entry in session.scalars(
                select(StaffAuditEntry)
                .where(StaffAuditEntry.tenant_id == lab.id, StaffAuditEntry.action == "billing.status_changed")
                .order_by(StaffAuditEntry.id)
            )
        ]


def _apply(engine, lab, status: str) -> str:
    subscription = {"id": "sub_1", "status": status, "created": 1_800_000_000, "price": None}
    with Session(engine) as session, session.begin():
        return apply_subscription(session, None, load_plans(), session.get(Tenant, lab.id), subscription)


def test_each_change_of_billing_status_is_in_the_staff_audit_trail_once(engine, make_tenant):
    lab = make_tenant()  # a new lab is on trial
    assert _apply(engine, lab, "active") == "billing active"
    assert _apply(engine, lab, "active") == "billing active"  # the same status again: no entry
    assert _apply(engine, lab, "unpaid") == "billing past_due"
    assert _status_entries(engine, lab) == [
        {"from": "trialing", "to": "active", "subscription": "sub_1"},
        {"from": "active", "to": "past_due", "subscription": "sub_1"},
    ]


def test_the_billing_portal_waits_for_a_first_subscription(engine, make_tenant, make_member):
    lab = make_tenant()
    admin = make_member(lab, "admin")
    with Session(engine) as session, pytest.raises(BillingError) as refused:
        open_portal(session, None, session.get(Tenant, lab.id), session.get(User, admin), return_url="https://x.example/")
    assert (refused.value.status, refused.value.code) == (409, "billing.no_customer")
