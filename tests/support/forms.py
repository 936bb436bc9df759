"""Posting a form as a browser does: the page first (for its CSRF token), then the post."""

from __future__ import annotations

import re

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def post_form(client, page: str, data: dict | None = None, *, to: str | None = None, **kw):
    """Open `page`, then post `data` (with the page's CSRF token) to `to` (default: the page)."""
    return client.post(to or page, data={"csrf_token": csrf(client, page), **(data or {})}, **kw)
