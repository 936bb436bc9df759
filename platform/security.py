"""CSRF protection on every form (pages only; the API authenticates with tokens) and rate limits."""
from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Storage: per process by default; set RATELIMIT_STORAGE_URI (e.g. redis://...) when
# several gunicorn workers must share the counts.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
LOGIN_LIMIT = "10 per minute;60 per hour"
SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked below, after the 423 rule
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)      # valid for the session
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)


def check_csrf() -> None:
    if request.method in SAFE or request.routing_exception is not None or "/api/" in request.path:
        return
    csrf.protect()
