"""CSRF protection on every form (pages only; the API authenticates with tokens) and rate limits."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Counts are shared by every worker: PostgreSQL by default, Redis when configured
# (rate_limits.py). Tests count per app, in memory.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
LOGIN_LIMIT = "10 per minute;60 per hour"


def login_limit() -> str:
    """The limit on starting a sign-in per address: LOGIN_LIMIT, or the app's
    WIJKNET_LOGIN_LIMIT (the residents' gate signs a dozen demo people in within a minute,
    all from 127.0.0.1)."""
    from flask import current_app

    return current_app.config.get("WIJKNET_LOGIN_LIMIT") or LOGIN_LIMIT


SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked below, after the 423 rule
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the session
    csrf.init_app(app)
    from . import rate_limits  # noqa: F401 - registers the wijknet+postgresql:// storage

    state = app.extensions["wijknet"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", state.settings.rate_limit_storage)
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS",
        {"engine": state.engine} if app.config["RATELIMIT_STORAGE_URI"].startswith(rate_limits.SCHEME) else {},
    )
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if state.settings.login_limit:
        app.config.setdefault("WIJKNET_LOGIN_LIMIT", state.settings.login_limit)
    limiter.init_app(app)


def token_authenticated(view):
    """Mark a view whose address carries a signed token that authenticates the request (an
    email's one-click unsubscribe link, RFC 8058): mail programs post to it without a form
    token. A forged cross-site post would need that token, which only its email holds."""
    view.csrf_by_address_token = True
    return view


def check_csrf() -> None:
    if request.method in SAFE or request.routing_exception is not None or "/api/" in request.path:
        return
    from flask import current_app

    if getattr(current_app.view_functions.get(request.endpoint), "csrf_by_address_token", False):
        return
    csrf.protect()
