"""The rules of platform/i18n.py at their edges (make mutate holds them): which redirect
targets are local, and how typed amounts become cents."""

import pytest

from wijknet.platform.i18n import parse_euros, safe_next


@pytest.mark.parametrize(
    "target",
    ["/", "/t/wijk/board/?q=a b", "/t/wijk/~x", "/" + "a" * 1999, "/t/wijk/\u00a0", "/caf\u00e9"],
)
def test_local_paths_are_kept(target):
    assert safe_next(target, "/fallback") == target


@pytest.mark.parametrize(
    "target",
    [
        "/" + "a" * 2000,  # longer than 2,000 characters
        "/\x1f/evil.example",  # a control character just below the space
        "/\x7f/evil.example",  # DEL
        "/\x80/evil.example",
        "/\x9f/evil.example",  # the last C1 control character
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "evil.example",
        "",
        None,
        42,
    ],
)
def test_anything_else_falls_back(target):
    assert safe_next(target, "/fallback") == "/fallback"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12,5", 1250),
        ("12.5", 1250),
        ("7", 700),
        ("€ 1.250,00", 125000),
        ("1.250", 125000),  # a thousands separator, not a decimal one
        ("1,250", 125000),
        ("1.250.000", 125000000),
        ("\u20ac\u00a07,25", 725),
        ("-3,10", -310),
        (12, 1200),
        ("0,01", 1),
    ],
)
def test_amounts_as_people_type_them(typed, cents):
    assert parse_euros(typed) == cents


@pytest.mark.parametrize("typed", ["", None, "twaalf", "1,2,3", "€", "12..5", "--1", "1.2345"])
def test_what_is_not_an_amount(typed):
    assert parse_euros(typed) is None


def test_the_language_cookie_is_for_a_year_and_not_for_scripts(client):
    answer = client.get("/lang/en?next=/")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "Max-Age=31536000" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_unknown_code_is_shown_shortened(client):
    page = client.get("/lang/" + "x" * 20 + "TAIL").get_data(as_text=True)
    assert "“" + "x" * 20 + "” is geen taal van wijknet" in page


def test_amounts_and_moments_in_each_language(app):
    from datetime import datetime, timezone

    from flask_babel import force_locale

    from wijknet.platform.i18n import euros, format_day, format_moment

    moment = datetime(2026, 11, 24, 13, 5, tzinfo=timezone.utc)
    with app.test_request_context():
        with force_locale("nl"):
            assert euros(123456) == "1.234,56" and euros(5) == "0,05"
            assert format_moment(moment) == "24 nov 2026, 14:05:00" and format_moment(None) == ""
            assert format_day(moment.date()) == "24 november 2026" and format_day(None) == ""
        with force_locale("en"):
            assert euros(123456) == "1,234.56"
            assert "2026" in format_moment(moment) and "2:05" in format_moment(moment)
