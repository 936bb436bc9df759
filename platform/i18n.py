"""Interface language (Dutch by default, English on request) and the Amsterdam time zone."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import Blueprint, Flask, has_request_context, redirect, request
from flask_babel import Babel

LANGUAGES = ("nl", "en")
COOKIE = "lang"

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The language chosen on the site (cookie), else the browser's (Accept-Language: the
    API's messages follow it too), else Dutch."""
    if not has_request_context():
        return "nl"  # the CLI and jobs: Dutch unless they force another locale
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "nl"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a local path; anything else falls back to `default`.

    Browsers drop TAB, CR and LF from a URL and read a backslash as a slash, so
    `/<TAB>/evil.example` or `/\\evil.example` would leave the site as `//evil.example`
    does. Any control character or backslash, a missing leading slash, a second leading
    slash, or a scheme or host refuses the target. The one check for every redirect
    (language switch, login, logout)."""
    if not isinstance(target, str) or not target or len(target) > 2000:
        return default
    if "\\" in target or any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


@bp.get("/lang/<code>")
def switch_language(code: str):
    """Set the interface language and go back; an unknown code gets a page that says so and
    offers the languages there are (nothing is changed)."""
    target = safe_next(request.args.get("next"))
    if code not in LANGUAGES:
        from flask import render_template

        return render_template("language_unknown.html", code=code[:20], target=target), 404
    response = redirect(target)
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "nl")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = os.path.join(os.path.dirname(__file__), "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.filters.update(format_day=format_day, format_moment=format_moment, euros=euros)


def format_day(value) -> str:
    """A date (or the Amsterdam date of a moment) as people write it: 23 november 2026."""
    from flask_babel import format_date

    return format_date(value, "long") if value else ""


def format_moment(value) -> str:
    """A moment in Amsterdam time: 23 nov 2026 14:05."""
    from flask_babel import format_datetime

    return format_datetime(value, "medium") if value else ""


def euros(cents: int) -> str:
    """Integer cents as an amount in the page's language: 25,00 (nl) or 25.00 (en)."""
    from flask_babel import format_decimal

    return format_decimal(cents / 100, format="#,##0.00")


def parse_euros(raw) -> int | None:
    """What people type for an amount, as cents: "12,50", "12.50", "€ 1.250,00", "7" ->
    1250, 1250, 125000, 700. None when it is not an amount (or finer than a cent)."""
    import re
    from decimal import Decimal

    text = str(raw or "").replace("€", "").replace(" ", "").replace("\u00a0", "")
    if not text or not re.fullmatch(r"-?\d{1,3}([.,]\d{3})*([.,]\d{1,2})?|-?\d+([.,]\d{1,2})?", text):
        return None
    last = max(text.rfind(","), text.rfind("."))
    if last != -1 and len(text) - last - 1 in (1, 2):  # the decimal separator, whichever it is
        whole, fraction = text[:last], text[last + 1 :]
    else:
        whole, fraction = text, ""
    whole = whole.replace(".", "").replace(",", "")
    return int(Decimal(f"{whole}.{fraction or '0'}") * 100)  # digits only, by the pattern above
