"""Once-only requests: a double-submitted form or a retried API call makes one change.

A form carries a fresh `request_key` (hidden field, `request_key_field()` in templates); an
API client may send `Idempotency-Key`. The first request with a key records it in the
lab's `request_keys` in its own transaction, together with its answer. A second request
with the same key waits on that row until the first commits, then gets the first one's
answer instead of making a second change. If the first failed (rolled back), the key is
free again, so the retry does the work.
"""

from __future__ import annotations

import re
import secrets
from functools import wraps

from flask import Response, jsonify, make_response, redirect, request
from flask_smorest import abort
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from wijknet.platform.db import locked
from wijknet.platform.tenancy.routing import tenant_db

from .access import current_member
from .models import RequestKey

HEADER = "Idempotency-Key"
FIELD = "request_key"
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")


def request_key_field() -> Markup:
    """The hidden field of a form that should change something once."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (FIELD, secrets.token_urlsafe(16))


def once_per_key(action: str):
    """Decorate a tenant view that changes something: a repeated key replays the answer."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            key = request.headers.get(HEADER) or request.form.get(FIELD)
            member = current_member() if key else None
            if member is None:
                return view(*args, **kwargs)  # no key, or nobody to hold it: the view decides
            if not _KEY.match(key):
                abort(
                    400,
                    message=f"{HEADER} is 8 to 100 letters, digits or -_.: characters.",
                    errors={"headers": {HEADER: ["Not a usable key."]}},
                )
            session = tenant_db()
            first = session.execute(
                pg_insert(RequestKey)
                .values(member_id=member.id, key=key, action=action)
                .on_conflict_do_nothing()
                .returning(RequestKey.key)
            ).first()
            if first is None:
                return _replay(session, member.id, key, action)
            response = make_response(view(*args, **kwargs))
            if response.status_code < 400:
                row = session.get(RequestKey, (member.id, key))
                row.status, row.location = response.status_code, response.headers.get("Location")
                row.body = response.get_json(silent=True) if response.is_json else None
                session.flush()
            return response

        return wrapped

    return decorate


def _replay(session, member_id: int, key: str, action: str) -> Response:
    prior = session.scalars(locked(select(RequestKey).where(RequestKey.member_id == member_id, RequestKey.key == key))).one()
    if prior.action != action or prior.status is None:
        abort(409, message=f"This {HEADER} was already used for another request.")
    if prior.location and prior.body is None:
        response = redirect(prior.location, code=prior.status)
    else:
        response = jsonify(prior.body)
        response.status_code = prior.status
        if prior.location:
            response.headers["Location"] = prior.location
    response.headers["Idempotent-Replayed"] = "true"
    return response
