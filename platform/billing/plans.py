"""The plans a living lab can be on, with what they allow. Prices live in Stripe: each paid
plan names its Stripe price (or plan) id in WIJKNET_STRIPE_PRICES."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace


def _l(message: str) -> str:
    """Marks a label for the catalog (`pybabel extract -k _l`); translated when read (Plan.label)."""
    return message


@dataclass(frozen=True)
class Plan:
    code: str
    label_text: str  # the English text; `label` is it in the reader's language
    euro_cents_per_month: int
    trial_days: int
    modules: tuple[str, ...] | None  # None: every module
    max_members: int | None  # None: no limit
    stripe_price: str | None = None

    @property
    def label(self):
        """Translated when shown (platform/lazy_text.py)."""
        from ..lazy_text import lazy_gettext

        return lazy_gettext(self.label_text)

    def allows_module(self, name: str) -> bool:
        return self.modules is None or name in self.modules


DEFAULT_PLANS = (
    Plan("pilot", _l("Pilot: free for 90 days"), 0, 90, None, 100),
    Plan("buurt", _l("Buurt: one neighbourhood"), 2500, 30, ("board", "assets", "ledger"), 500),
    Plan("netwerk", _l("Netwerk: everything, no limits"), 7500, 30, None, None),
)


def load_plans(prices_json: str = "") -> dict[str, Plan]:
    prices = json.loads(prices_json) if prices_json.strip() else {}
    if not isinstance(prices, dict):
        raise ValueError("WIJKNET_STRIPE_PRICES must be a JSON object: {plan code: Stripe price id}")
    plans = {plan.code: replace(plan, stripe_price=prices.get(plan.code)) for plan in DEFAULT_PLANS}
    unknown = set(prices) - set(plans)
    if unknown:
        raise ValueError(f"WIJKNET_STRIPE_PRICES names unknown plans: {', '.join(sorted(unknown))}")
    return plans


def plan_for_price(plans: dict[str, Plan], price_id: str | None) -> Plan | None:
    return next((p for p in plans.values() if price_id and p.stripe_price == price_id), None)


def current_plans() -> dict[str, Plan]:
    """The plans with this installation's Stripe prices (WIJKNET_STRIPE_PRICES)."""
    from flask import current_app

    return load_plans(current_app.extensions["wijknet"].settings.stripe_prices)
