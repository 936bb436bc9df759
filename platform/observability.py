"""What operators see: a request id on every request, one JSON log line per request, and
errors sent to Sentry when SENTRY_DSN is set, without personal data.

- Request id: `X-Request-ID` from the proxy when it is a plain token (letters, digits,
  `.-_`, at most 128), else a new one; answered in the same header, in the log line and as
  a Sentry tag.
- Log line (logger `wijknet.request`): time, level, request_id, tenant, user_id, method,
  route (the URL rule, not the path: no ids or tokens from addresses), status, duration_ms.
- Sentry: tags tenant, request_id, release; no request bodies, cookies, headers with
  credentials, emails, names or tokens (`scrub`, run on every event before it is sent).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
EMAIL = re.compile(r"[^\s@<>\"',;:]+@[^\s@<>\"',;:]+\.[A-Za-z]{2,}")
# Our API tokens (wk_...), bearer values, and long random strings such as session cookies.
SECRETISH = re.compile(r"\b(?:wk_[A-Za-z0-9_-]{8,}|Bearer\s+\S+|[A-Za-z0-9_-]{32,}\.[A-Za-z0-9_.-]{8,})")
# SQLAlchemy puts a statement's parameters into its error message, PostgreSQL the key values.
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\(|\[|$))|DETAIL:[^\n]*", re.S)
SENSITIVE_KEYS = {"cookies", "data", "env", "user", "headers", "query_string"}
FILTERED = "[Filtered]"

request_log = logging.getLogger("wijknet.request")


def init_app(app: Flask) -> None:
    settings = app.extensions["wijknet"].settings
    app.before_request(_start)
    app.after_request(_finish)
    configure_logging(settings.log_format)
    init_sentry(settings)


def configure_logging(log_format: str) -> None:
    """JSON lines on stderr for wijknet's loggers (plain text when WIJKNET_LOG_FORMAT=text)."""
    from pythonjsonlogger.json import JsonFormatter

    root = logging.getLogger("wijknet")
    if any(getattr(h, "_wijknet", False) for h in root.handlers):
        return
    handler = _Stderr()
    handler._wijknet = True
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"asctime": "time", "levelname": "level"}
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False  # one line per record, also where the worker configured the root logger


class _Stderr(logging.StreamHandler):
    """stderr as it is at each record (a test runner swaps it per test)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _start() -> None:
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    try:
        request_log.info("request", extra=request_fields(response.status_code))
    except Exception:  # noqa: BLE001 - the log line never costs a visitor their page
        request_log.warning("request log line failed", exc_info=True)
    return response


def _user_id(user) -> int | None:
    """The signed-in user's id without touching the database (its session may be closed)."""
    if user is None:
        return None
    from sqlalchemy import inspect

    identity = inspect(user, raiseerr=False)
    key = identity.identity if identity is not None else None
    return key[0] if key else getattr(user, "id", None)


def request_fields(status: int) -> dict:
    """What the request log line and Sentry's tags say about this request."""
    tenant = g.get("tenant")
    user = g.get("user")
    started = g.get("request_started")
    return {
        "request_id": g.get("request_id"),
        "tenant": getattr(tenant, "slug", None),
        "user_id": _user_id(user),
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule is not None else None,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }


# --- Sentry ---------------------------------------------------------------------------
def init_sentry(settings) -> bool:
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        release=settings.release,
        environment=settings.env,
        integrations=[FlaskIntegration()],
        # Nothing personal collected by the integrations: no user, cookies, headers, bodies,
        # query strings, SQL parameters or local variables (they hold members, emails, tokens).
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        before_send=scrub,
        before_send_transaction=scrub,
        before_breadcrumb=lambda crumb, _hint: _breadcrumb(crumb),
    )
    return True


def capture(exc: BaseException) -> None:
    """Send an error we answered with a 500 ourselves (Flask's signal does not fire then)."""
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.capture_exception(exc)


def scrub(event: dict, _hint=None) -> dict:
    """The event without personal data, with our tags."""
    req = event.get("request")
    if isinstance(req, dict):
        for key in SENSITIVE_KEYS:
            req.pop(key, None)
        if isinstance(req.get("url"), str):
            req["url"] = req["url"].split("?", 1)[0]
    event.pop("user", None)
    event.get("contexts", {}).pop("user", None)
    if has_request_context():
        fields = request_fields(500)
        tags = event.setdefault("tags", {})
        tags.update({"tenant": fields["tenant"] or "-", "request_id": fields["request_id"] or "-"})
    return _clean(event)


def _breadcrumb(crumb: dict) -> dict | None:
    """Log lines as breadcrumbs, without their data; none of the mail log (it holds bodies)."""
    if str(crumb.get("category", "")).startswith("wijknet.mail"):
        return None
    crumb.pop("data", None)
    return _clean(crumb)


def _clean(value):
    """Every string in `value` with emails, SQL parameters and token-like strings filtered out."""
    if isinstance(value, str):
        return SECRETISH.sub(FILTERED, EMAIL.sub(FILTERED, SQL_PARAMETERS.sub(FILTERED, value)))
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
