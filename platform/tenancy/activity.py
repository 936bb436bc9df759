"""When a living lab was last used (the staff console's "last activity"): a signed-in
person's successful request marks its lab, at most once every few minutes per lab and
process, in a statement of its own after the answer is ready."""

from __future__ import annotations

import threading
import time

from flask import current_app, g
from sqlalchemy import text

RESOLUTION_SECONDS = 300
_marked: dict[int, float] = {}
_lock = threading.Lock()

MARK_SQL = text(
    "UPDATE platform.tenants SET last_activity_at = now() WHERE id = :id"
    " AND (last_activity_at IS NULL OR last_activity_at < now() - make_interval(secs => :resolution))"
)


def note_activity(response):
    tenant, user = g.get("tenant"), g.get("user")
    if tenant is None or user is None or response.status_code >= 400:
        return response
    now = time.monotonic()
    with _lock:
        if now - _marked.get(tenant.id, -RESOLUTION_SECONDS) < RESOLUTION_SECONDS:
            return response
        _marked[tenant.id] = now
    try:
        with current_app.extensions["wijknet"].engine.begin() as conn:
            conn.execute(MARK_SQL, {"id": tenant.id, "resolution": RESOLUTION_SECONDS})
    except Exception:  # noqa: BLE001 - a missed mark is harmless; the answer goes out
        current_app.logger.warning("could not mark activity of lab %s", tenant.id, exc_info=True)
    return response
