"""A lab's billing: subscribing (Stripe Checkout), managing payment (the Billing Portal),
and the billing state that Stripe's webhooks keep up to date.

Webhooks are recorded once by event id (a replay changes nothing) and never trusted for
the state itself: the subscription is read from Stripe again, so events that arrive late,
twice or out of order all end in Stripe's current state. A lab whose payment is overdue
longer than the grace period (WIJKNET_BILLING_GRACE_DAYS) becomes read-only; paying brings
it back; nothing is ever deleted.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..db import locked
from ..identity.joining import require_admin
from ..identity.models import User
from ..refusals import DomainError
from ..tenancy.follow_up import audit_after_commit
from ..tenancy.models import StaffAuditEntry, StripeEvent, Tenant
from .gateway import StripeGateway
from .plans import Plan, plan_for_price

STATUS = {
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "incomplete": "past_due",
    "canceled": "canceled",
    "incomplete_expired": "canceled",
    "paused": "past_due",
}
SUBSCRIPTION_EVENTS = ("customer.subscription.", "invoice.", "checkout.session.completed")


class BillingError(DomainError):
    code = "billing"


def ensure_customer(session: Session, gateway: StripeGateway, tenant: Tenant, email: str | None) -> str:
    if tenant.stripe_customer_id is None:
        tenant.stripe_customer_id = gateway.create_customer(name=tenant.name, email=email, tenant_id=tenant.id)
        session.flush()
    return tenant.stripe_customer_id


def start_checkout(
    session: Session, gateway: StripeGateway, tenant: Tenant, admin: User, plan: Plan, *, success_url: str, cancel_url: str
) -> str:
    """The address of Stripe's Checkout page for subscribing the lab to `plan`."""
    require_admin(session, tenant, admin)
    if not plan.stripe_price:
        raise BillingError(_l("This plan cannot be bought online; ask the network's staff."), code="billing.plan_not_for_sale")
    customer = ensure_customer(session, gateway, tenant, admin.email)
    url = gateway.checkout_url(
        customer=customer, price=plan.stripe_price, tenant_id=tenant.id, success_url=success_url, cancel_url=cancel_url
    )
    audit_after_commit(session, tenant.id, "billing.checkout_started", actor_user_id=admin.id, plan=plan.code)
    return url


def open_portal(session: Session, gateway: StripeGateway, tenant: Tenant, admin: User, *, return_url: str) -> str:
    require_admin(session, tenant, admin)
    if tenant.stripe_customer_id is None:
        raise BillingError(_l("There is nothing to manage yet: subscribe first."), code="billing.no_customer", status=409)
    return gateway.portal_url(customer=tenant.stripe_customer_id, return_url=return_url)


def handle_event(session: Session, gateway: StripeGateway, plans: dict[str, Plan], event: dict) -> str:
    """Apply one (verified) Stripe event; returns what happened. Idempotent by event id."""
    first = session.execute(
        pg_insert(StripeEvent)
        .values(id=event["id"], type=event["type"], created=_moment(event.get("created")), outcome="seen")
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(StripeEvent.id)
    ).first()
    if first is None:
        return "duplicate"
    record = session.get(StripeEvent, event["id"])
    obj = (event.get("data") or {}).get("object") or {}
    if not event["type"].startswith(SUBSCRIPTION_EVENTS):
        record.outcome = "ignored"
        return record.outcome
    subscription_id = obj.get("id") if event["type"].startswith("customer.subscription.") else obj.get("subscription")
    tenant = _tenant_of(session, obj.get("customer"), obj)
    if tenant is None or not subscription_id:
        record.outcome = "no tenant" if tenant is None else "no subscription"
        return record.outcome
    record.tenant_id = tenant.id
    record.outcome = apply_subscription(session, gateway, plans, tenant, gateway.subscription(subscription_id))
    return record.outcome


def apply_subscription(session: Session, gateway: StripeGateway, plans: dict[str, Plan], tenant: Tenant, current: dict) -> str:
    """Make the lab's billing state the subscription's, as Stripe has it now."""
    if tenant.stripe_subscription_id and tenant.stripe_subscription_id != current["id"]:
        if _rank(gateway.subscription(tenant.stripe_subscription_id)) > _rank(current):
            return "older subscription"  # the lab has moved on to a newer one
    status = STATUS.get(current["status"], "past_due")
    now = datetime.now(timezone.utc)
    before = tenant.billing_status
    if status in ("past_due", "canceled"):
        tenant.past_due_since = tenant.past_due_since or now
    else:
        tenant.past_due_since = None
    tenant.billing_status, tenant.stripe_subscription_id, tenant.billing_updated_at = status, current["id"], now
    plan = plan_for_price(plans, current.get("price"))
    if plan is not None and status in ("active", "trialing"):
        tenant.plan = plan.code
    session.flush()
    if before != status:
        session.add(
            StaffAuditEntry(
                actor="stripe",
                action="billing.status_changed",
                tenant_id=tenant.id,
                tenant_slug=tenant.slug,
                detail={"from": before, "to": status, "subscription": current["id"]},
            )
        )
        audit_after_commit(session, tenant.id, "billing.status_changed", actor_user_id=None, old=before, new=status)
    return f"billing {status}"


def _rank(subscription: dict) -> tuple:
    """Which of two subscriptions of one lab counts: a live one over an ended one, then the
    later one; the id decides a tie, so the outcome never depends on the events' order."""
    return (subscription["status"] not in ("canceled", "incomplete_expired"), subscription["created"], subscription["id"])


def _tenant_of(session: Session, customer: str | None, obj: dict) -> Tenant | None:
    if customer:
        found = session.scalars(locked(select(Tenant).where(Tenant.stripe_customer_id == customer))).one_or_none()
        if found is not None:
            return found
    tenant_id = ((obj.get("metadata") or {}).get("tenant_id") or obj.get("client_reference_id") or "").strip()
    if tenant_id.isdigit():
        return session.scalars(locked(select(Tenant).where(Tenant.id == int(tenant_id)))).one_or_none()
    return None


def _moment(created) -> datetime:
    return datetime.fromtimestamp(int(created), timezone.utc) if created else datetime.now(timezone.utc)
