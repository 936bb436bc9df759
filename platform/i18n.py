"""Interface language (Dutch by default, English on request) and the Amsterdam time zone."""
from __future__ import annotations

import os

from flask import Blueprint, Flask, redirect, request
from flask_babel import Babel

LANGUAGES = ("nl", "en")
COOKIE = "lang"

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else "nl"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: `//evil.example` and `https://...` fall back to `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@bp.get("/lang/<code>")
def switch_language(code: str):
    response = redirect(safe_next(request.args.get("next")))
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "nl")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = os.path.join(os.path.dirname(__file__), "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
