"""Stripe behind a narrow interface: the few calls billing makes, in plain values.

`StripeGateway` is the real one (stripe-python's StripeClient); its API address comes from
configuration, so the tests point it at localstripe (a real, local Stripe) or at a small
recording server for Checkout and the Billing Portal, which localstripe lacks."""

from __future__ import annotations

import stripe

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..refusals import DomainError


class BillingUnavailable(DomainError):
    code = "billing"
    status = 503


class BadSignature(DomainError):
    code = "billing"
    status = 400


class StripeGateway:
    def __init__(self, secret_key: str, webhook_secret: str, api_base: str = ""):
        self.webhook_secret = webhook_secret
        addresses = {"api": api_base} if api_base else {}
        self.client = stripe.StripeClient(secret_key or "sk_missing", base_addresses=addresses, max_network_retries=1)
        self.configured = bool(secret_key)

    def _call(self, action, *args, **kwargs):
        if not self.configured:
            raise BillingUnavailable(_l("Payment is not set up on this installation yet."), code="billing.not_configured")
        try:
            return action(*args, **kwargs)
        except stripe.StripeError as exc:
            raise BillingUnavailable(
                _l("The payment service cannot be reached right now. Please try again in a few minutes."),
                code="billing.unavailable",
            ) from exc

    def create_customer(self, *, name: str, email: str | None, tenant_id: int) -> str:
        params = {"name": name, "metadata": {"tenant_id": str(tenant_id)}}
        if email:
            params["email"] = email
        return self._call(self.client.v1.customers.create, params=params).id

    def checkout_url(self, *, customer: str, price: str, tenant_id: int, success_url: str, cancel_url: str) -> str:
        session = self._call(
            self.client.v1.checkout.sessions.create,
            params={
                "mode": "subscription",
                "customer": customer,
                "line_items": [{"price": price, "quantity": 1}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "client_reference_id": str(tenant_id),
                "subscription_data": {"metadata": {"tenant_id": str(tenant_id)}},
            },
        )
        return session.url

    def portal_url(self, *, customer: str, return_url: str) -> str:
        return self._call(
            self.client.v1.billing_portal.sessions.create, params={"customer": customer, "return_url": return_url}
        ).url

    def subscription(self, subscription_id: str) -> dict:
        """status, customer, created, and the price (or plan) id of its first item."""
        found = self._call(self.client.v1.subscriptions.retrieve, subscription_id).to_dict()
        items = (found.get("items") or {}).get("data") or []
        first = items[0] if items else {}
        price = (first.get("price") or {}).get("id") or (first.get("plan") or {}).get("id") or (found.get("plan") or {}).get("id")
        return {
            "id": found["id"],
            "status": found["status"],
            "customer": found.get("customer"),
            "created": found.get("created") or 0,
            "price": price,
        }

    def parse_event(self, payload: bytes, signature: str | None) -> dict:
        """The event, if Stripe signed it with our webhook secret; BadSignature otherwise."""
        if not self.webhook_secret:
            raise BadSignature("Webhooks are not set up on this installation.", code="billing.no_webhook_secret")
        try:
            return self.client.construct_event(payload, signature, self.webhook_secret).to_dict()
        except (stripe.SignatureVerificationError, ValueError):
            raise BadSignature("The signature of this event is not valid.", code="billing.bad_signature") from None


def current_gateway() -> StripeGateway:
    """The app's gateway, made once from its settings."""
    from flask import current_app

    found = current_app.extensions.get("wijknet_billing")
    if found is None:
        settings = current_app.extensions["wijknet"].settings
        found = StripeGateway(settings.stripe_secret_key, settings.stripe_webhook_secret, settings.stripe_api_base)
        current_app.extensions["wijknet_billing"] = found
    return found
