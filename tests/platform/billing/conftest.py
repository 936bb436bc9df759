"""Stripe for the billing tests: localstripe (a real, local, stateful Stripe) in a process
of its own for each test, our app configured to use it, and a Stripe client to play the
customer's part (cards, subscriptions, invoices) the way Stripe's own pages would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
import stripe

from wijknet.platform.app import create_app

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SECRET_KEY = "sk_test_wijknet"
WEBHOOK_SECRET = "whsec_wijknet_test"
PRICES = {"buurt": "plan_buurt", "netwerk": "plan_netwerk"}
GOOD_CARD, FAILING_CARD = "4242424242424242", "4000000000000341"  # the second attaches, then every charge fails


@pytest.fixture
def localstripe():
    """localstripe on a free loopback port; stopped (by its PID) after the test."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.localstripe_server"], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{int(process.stdout.readline())}"
        for _ in range(100):
            try:
                httpx.get(f"{url}/v1/customers", headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


class StripeWorld:
    """The Stripe side of a lab's life: plans, cards, subscriptions, invoices."""

    def __init__(self, url: str):
        self.url = url
        self.client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": url})
        product = self.client.v1.products.create(params={"name": "wijknet"})
        for code, interval, amount in (("buurt", "month", 2500), ("netwerk", "year", 75000)):
            self.client.v1.plans.create(
                params={"id": PRICES[code], "amount": amount, "currency": "eur", "interval": interval, "product": product.id}
            )

    def send_webhooks_to(self, url: str, name: str = "wijknet") -> None:
        answer = httpx.post(f"{self.url}/_config/webhooks/{name}", json={"url": url, "secret": WEBHOOK_SECRET})
        answer.raise_for_status()

    def use_card(self, customer: str, number: str) -> None:
        card = {"number": number, "exp_month": 12, "exp_year": 2035, "cvc": "123"}
        method = self.client.v1.payment_methods.create(params={"type": "card", "card": card})
        self.client.v1.payment_methods.attach(method.id, params={"customer": customer})
        self.client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": method.id}})

    def subscribe(self, customer: str, plan: str):
        return self.client.v1.subscriptions.create(params={"customer": customer, "items": [{"plan": PRICES[plan]}]})

    def move_to(self, subscription, plan: str):
        """Another plan (a yearly one is charged at once: with a failing card, past_due)."""
        item = subscription["items"].data[0].id
        return self.client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item, "plan": PRICES[plan]}]})

    def pay_open_invoices(self, customer: str) -> None:
        for invoice in self.client.v1.invoices.list(params={"customer": customer}).data:
            if invoice.status == "open":
                self.client.v1.invoices.pay(invoice.id)

    def cancel(self, subscription) -> None:
        self.client.v1.subscriptions.cancel(subscription.id)


@pytest.fixture
def stripe_world(localstripe):
    return StripeWorld(localstripe)


def billing_environ(environ: dict, api_base: str) -> dict:
    return {
        **environ,
        "WIJKNET_STRIPE_SECRET_KEY": SECRET_KEY,
        "WIJKNET_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WIJKNET_STRIPE_API_BASE": api_base,
        "WIJKNET_STRIPE_PRICES": json.dumps(PRICES),
    }


@pytest.fixture
def billing_app(environ, engine, localstripe):
    return create_app(billing_environ(environ, localstripe), engine=engine)


def wait_for(condition, *, timeout: float = 20.0, what: str = "condition"):
    """Poll until `condition()` is truthy (localstripe sends webhooks a second after the fact)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
