"""The one place that turns any error into JSON (API) or a page (HTML). DomainError itself
lives in refusals.py (free of Flask); it is imported here for the handlers."""

from __future__ import annotations

import logging
import re

import marshmallow as ma
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_smorest import Api as SmorestApi
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .refusals import DomainError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class ErrorSchema(ma.Schema):
    """Every error answer of the API (documented in the OpenAPI document)."""

    code = ma.fields.String(metadata={"description": "Stable code of the error, e.g. board.post_closed or not_found"})
    status = ma.fields.Integer(metadata={"description": "HTTP status"})
    message = ma.fields.String(metadata={"description": "What went wrong, in the language asked for (Accept-Language)"})
    errors = ma.fields.Dict(metadata={"description": "Messages per field, for input that was refused"})


def http_error_code(exc: HTTPException) -> str:
    """`not_found`, `unprocessable_entity`, `too_many_requests`: the error's name as a code."""
    return re.sub(r"[^a-z]+", "_", (exc.name or "error").lower()).strip("_")


def error_body(code: str, status: int, message: str, errors: dict | None = None) -> dict:
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


class Api(SmorestApi):
    """flask-smorest's Api with our error answer: {code (stable, text), status, message, errors}."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        code = "validation" if error.code == 422 else http_error_code(error)
        message = data.get("message") or _api_message(error)
        return error_body(code, error.code, str(message), errors), error.code, data.get("headers", {})


def _api_message(error: HTTPException) -> str:
    """Too large and too many: our own words, in the asker's language; else werkzeug's."""
    if error.code == 413:
        return _("What you sent is too large: at most %(size)s.", size=_size(current_app.config.get("MAX_CONTENT_LENGTH")))
    if error.code == 429:
        return _("Too many attempts. Please wait a minute and try again.")
    return error.description if error.code != 500 else "Something went wrong on our side."


def _size(limit: int | None) -> str:
    return f"{(limit or 0) // (1024 * 1024)} MB"


def wants_json() -> bool:
    return "/api/" in request.path or request.path.startswith("/api")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """The database went away or gave up (restart, killed connection, timeout): try again later."""
    return isinstance(exc, (OperationalError, InterfaceError))


def _page_messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Something is wrong with this request"), _("Check the address or the form and try again.")),
        403: (_("No access"), _("You do not have access to this page.")),
        404: (_("Page not found"), _("This page does not exist, or it is not available to you.")),
        405: (_("Not allowed"), _("This action is not possible here.")),
        409: (_("That is not possible now"), _("Reload the page and try again.")),
        413: (
            _("Too large"),
            _("What you sent is too large: at most %(size)s.", size=_size(current_app.config.get("MAX_CONTENT_LENGTH"))),
        ),
        429: (_("Too many attempts"), _("Please wait a minute and try again.")),
        423: (
            _("This living lab is read-only"),
            _("It has been suspended: you can read everything, but nothing can be changed right now."),
        ),
        500: (_("Something went wrong on our side"), _("The error has been logged. Please try again in a moment.")),
        503: (
            _("Temporarily unavailable"),
            _("We cannot reach our database right now. Nothing was changed; please try again in a moment."),
        ),
    }


def _page(status: int, detail: str | None = None, *, show_detail: bool = False):
    title, text = _page_messages().get(status, (_("Something went wrong"), detail or ""))
    if show_detail and detail:
        text = detail
    return render_template("errors/error.html", status=status, title=title, text=text), status


def unavailable_response():
    """503 with a retry hint, as JSON for the API and as a page otherwise."""
    if wants_json():
        response = jsonify(
            error_body(
                "service_unavailable",
                503,
                _("We cannot reach our database right now. Nothing was changed; please try again in a moment."),
            )
        )
        response.status_code = 503
    else:
        try:
            body, status = _page(503)
        except Exception:  # noqa: BLE001 - the page itself may need what is down
            body, status = "Temporarily unavailable. Please try again in a moment.", 503
        response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask, api) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if is_database_unavailable(getattr(exc, "original_exception", None)):
            return unavailable_response()
        if wants_json():
            return api.handle_http_exception(exc)
        # 423 says why the lab is read-only (suspended, or payment overdue): our own message.
        return _page(exc.code or 500, exc.description, show_detail=exc.code == 423)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if wants_json():
            return jsonify(error_body(exc.code, exc.status, exc.message, exc.errors)), exc.status
        # The rule's own message says what to do; a 404 stays the same as any other 404.
        return _page(exc.status, exc.message, show_detail=exc.status != 404)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - routed above
            return _http(exc)
        if is_database_unavailable(exc):
            log.warning("database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
            return unavailable_response()
        log.exception("unhandled error on %s %s", request.method, request.path)
        from .observability import capture

        capture(exc)
        if current_app.testing and current_app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        if wants_json():
            return api.handle_http_exception(InternalServerError())
        return _page(500)
