"""Liveness (/healthz: the process answers) and readiness (/readyz: the database is usable)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .tenancy.migrate import platform_is_current

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    state = current_app.extensions["wijknet"]
    try:
        with state.engine.connect() as conn:
            current = platform_is_current(conn, state.settings.migrations_dir)
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", reason=f"database: {type(exc).__name__}"), 503
    if not current:
        return jsonify(status="unavailable", reason="platform schema is not migrated to head"), 503
    return jsonify(status="ok")
