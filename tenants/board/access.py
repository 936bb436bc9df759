"""Who is looking at the board: the tenant's member row for the signed-in person, the
board's settings, and whether an anonymous visitor may read (visibility setting)."""
from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from wijknet.platform.tenancy.models import ModuleSetting
from wijknet.platform.tenancy.routing import current_tenant, platform_db
from wijknet.tenants import MODULES
from wijknet.tenants.core.access import current_member
from wijknet.tenants.core.models import Member


def board_settings() -> dict:
    if "board_settings" not in g:
        row = platform_db().get(ModuleSetting, (current_tenant().id, "board"))
        g.board_settings = MODULES["board"].settings_from(row.settings if row else None)
    return g.board_settings


def viewer() -> Member | None:
    """The signed-in person's member row here, or None (anonymous, or not a member: the
    platform membership decides, tenants/core/access.py)."""
    return current_member()


def require_reader():
    """None when the visitor may read the board; else the response to give instead."""
    if viewer() is not None or board_settings()["visibility"] == "public":
        return None
    if g.get("user") is None:
        if "/api/" in request.path:
            abort(404)
        return redirect(url_for("identity.login_page", next=request.full_path.rstrip("?")))
    abort(404)


def require_poster() -> Member:
    member = viewer()
    if member is None:
        if g.get("user") is None and "/api/" not in request.path:
            abort(redirect(url_for("identity.login_page", next=request.full_path.rstrip("?"))))
        abort(404)
    return member
