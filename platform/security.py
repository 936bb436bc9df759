"""CSRF protection on every form (pages only; the API authenticates with tokens)."""
from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked below, after the 423 rule
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)      # valid for the session
    csrf.init_app(app)


def check_csrf() -> None:
    if request.method in SAFE or request.routing_exception is not None or "/api/" in request.path:
        return
    csrf.protect()
