"""A member's personal API tokens for one living lab (/t/<slug>/tokens): made (the token
is shown once, on the answer to the form), listed, revoked. The rules are in tokens.py."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from wijknet.tenants.core.access import MEMBERS, access

from ..tenancy.routing import bind_tenant, current_tenant, platform_db
from .tokens import TokenError, create_token, revoke_token, tokens_of

bp = bind_tenant(Blueprint("tokens", __name__, url_prefix="/t/<slug>/tokens"))


def _page(*, new=None, plaintext=None, error=None, errors=None, name="", status=200):
    tokens = tokens_of(platform_db(), g.user, tenant_id=current_tenant().id)
    response = render_template(
        "identity/tokens.html",
        tenant=current_tenant(),
        tokens=tokens,
        new=new,
        plaintext=plaintext,
        error=error,
        errors=errors or {},
        name=name,
    )
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/")
@access(MEMBERS)
def index():
    return _page()


@bp.post("/")
@access(MEMBERS)
def create():
    name = request.form.get("name", "")
    try:
        token, plaintext = create_token(platform_db(), tenant_id=current_tenant().id, user=g.user, name=name)
    except TokenError as exc:
        platform_db().rollback()
        return _page(error=exc.message, errors=exc.errors, name=name, status=exc.status)
    return _page(new=token, plaintext=plaintext)


@bp.post("/<int:token_id>/revoke")
@access(MEMBERS)
def revoke(token_id: int):
    revoke_token(platform_db(), tenant_id=current_tenant().id, token_id=token_id, user=g.user)  # TokenError: 404
    return redirect(url_for("tokens.index"))
