"""What a booking costs, and how its income is split: plain functions on integer cents.

The split is exact to the cent: the cooperative's fee is rounded half up, the rest goes to
the contributors by the largest remainder method (Hamilton's), so the parts always add up
to the price and nobody is more than a cent away from their exact share."""

from __future__ import annotations

from datetime import datetime, timedelta

from .models import FULL_SHARE

UNIT_LENGTH = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "night": timedelta(days=1),  # a stay from afternoon to the next morning is one night
    "month": timedelta(days=30),
}


def units(starts_at: datetime, ends_at: datetime, unit: str) -> int:
    """Whole units begun: 1 h 10 min is two hours; 20 hours is one night."""
    length = UNIT_LENGTH[unit]
    duration = ends_at - starts_at
    return max(1, -(-duration // length))


def booking_price(
    price_cents: int, unit: str, starts_at: datetime, ends_at: datetime, km: int = 0, km_price_cents: int = 0
) -> int:
    return units(starts_at, ends_at, unit) * price_cents + max(0, km) * (km_price_cents or 0)


def fee_of(price_cents: int, fee_percent: int) -> int:
    """The cooperative's fee, rounded half up to the cent."""
    return (price_cents * fee_percent + 50) // 100


def split(price_cents: int, fee_percent: int, shares: dict[str, int]) -> tuple[int, dict[str, int]]:
    """(fee, {party: cents}) for `price_cents`, `shares` in basis points summing to 10,000.

    Each party first gets the floor of its exact part; the cents left over go, one each, to
    the parties with the largest remainders (ties: in the order of the party names), so no
    cent is lost or made."""
    if sum(shares.values()) != FULL_SHARE or any(bp <= 0 for bp in shares.values()):
        raise ValueError(f"shares must be positive and sum to {FULL_SHARE}: {shares}")
    if price_cents < 0 or not 0 <= fee_percent <= 100:
        raise ValueError("price and fee must not be negative, the fee at most 100 %")
    fee = fee_of(price_cents, fee_percent)
    rest = price_cents - fee
    exact = {party: rest * bp for party, bp in shares.items()}  # in 1/10,000 cents
    parts = {party: value // FULL_SHARE for party, value in exact.items()}
    left = rest - sum(parts.values())
    by_remainder = sorted(shares, key=lambda party: (-(exact[party] % FULL_SHARE), party))
    for party in by_remainder[:left]:
        parts[party] += 1
    return fee, parts
