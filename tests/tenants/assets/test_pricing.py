"""Issue 13: the price of a booking and its split, exact to the cent (property-based)."""

from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wijknet.tenants.assets.pricing import booking_price, fee_of, split, units

START = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


@st.composite
def shares(draw):
    """Up to 12 parties with positive basis points summing to 10,000."""
    count = draw(st.integers(1, 12))
    cuts = sorted(draw(st.lists(st.integers(1, 9999), min_size=count - 1, max_size=count - 1, unique=True)))
    bounds = [0, *cuts, 10000]
    return {f"member:{i}": bounds[i + 1] - bounds[i] for i in range(count)}


@given(price=st.integers(0, 10**10), fee_percent=st.integers(0, 100), parts=shares())
def test_payouts_plus_fee_are_the_price_and_everyone_is_within_a_cent(price, fee_percent, parts):
    fee, payouts = split(price, fee_percent, parts)
    assert fee + sum(payouts.values()) == price
    assert abs(fee - Fraction(price * fee_percent, 100)) <= Fraction(1, 2)
    for party, points in parts.items():
        exact = Fraction((price - fee) * points, 10000)
        assert payouts[party] >= 0 and abs(payouts[party] - exact) < 1


@pytest.mark.parametrize(
    ("bad", "fee"),
    [({"a": 5000}, 10), ({"a": 10001, "b": -1}, 10), ({"a": 0, "b": 10000}, 10), ({"a": 10000}, 101), ({"a": 10000}, -1)],
)
def test_an_impossible_split_is_refused(bad, fee):
    with pytest.raises(ValueError):
        split(1000, fee, bad)


def test_the_split_of_a_known_case():
    assert split(3050, 10, {"a": 3333, "b": 3333, "c": 3334}) == (305, {"a": 915, "b": 915, "c": 915})
    assert split(100, 0, {"a": 3333, "b": 3333, "c": 3334}) == (0, {"a": 33, "b": 33, "c": 34})
    assert fee_of(5, 10) == 1 and fee_of(4, 10) == 0  # half a cent up, less down


@pytest.mark.parametrize(
    ("hours", "unit", "expected"),
    [(3, "hour", 3), (3.1, "hour", 4), (0.2, "hour", 1), (20, "night", 1), (24, "day", 1), (25, "day", 2), (24 * 45, "month", 2)],
)
def test_units_begun_are_charged(hours, unit, expected):
    assert units(START, START + timedelta(hours=hours), unit) == expected


def test_the_price_counts_time_and_kilometres():
    assert booking_price(500, "hour", START, START + timedelta(hours=3), km=62, km_price_cents=25) == 3050
    assert booking_price(500, "hour", START, START + timedelta(hours=3), km=-10, km_price_cents=25) == 1500
