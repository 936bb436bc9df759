"""Pages for joining a living lab: the join page, an invitation, and the admin's list of
invitations and join requests. Thin: the rules live in joining.py."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from wijknet.tenants.core.access import PUBLIC, access, role

from ..tenancy.models import Tenant
from ..tenancy.routing import bind_tenant, current_tenant, platform_db
from .access import current_membership
from .joining import JoinError, accept_invitation, change_join_policy, decide_join_request, find_invitation, invite_by_email, join
from .models import Invitation, JoinRequest, User
from .tenant_providers import ProviderError, add_tenant_provider, providers_of, remove_tenant_provider

bp = bind_tenant(Blueprint("joining", __name__, url_prefix="/t/<slug>"))


def _tenant_row() -> Tenant:
    return platform_db().get(Tenant, current_tenant().id)


def _login_url():
    return url_for("identity.login_page", next=request.path)


@bp.route("/join", methods=["GET", "POST"])
@access(PUBLIC)
def join_page():
    tenant = _tenant_row()
    outcome, error = None, None
    if request.method == "POST":
        if g.user is None:
            return redirect(_login_url())
        try:
            result = join(platform_db(), tenant, g.user)
            outcome = "pending" if isinstance(result, JoinRequest) else "joined"
            g.pop("membership", None)
        except JoinError as exc:
            error = exc.message
    return render_template(
        "joining/join.html",
        tenant=current_tenant(),
        policy=tenant.join_policy,
        outcome=outcome,
        error=error,
        membership=current_membership(),
        login_url=_login_url(),
    ), 400 if error else 200


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def invitation_page(token: str):
    tenant = _tenant_row()
    try:
        invitation = find_invitation(platform_db(), tenant, token)
    except JoinError as exc:
        return render_template("joining/invitation.html", tenant=current_tenant(), error=exc.message), exc.status
    if request.method == "POST":
        if g.user is None:
            return redirect(_login_url())
        accept_invitation(platform_db(), tenant, token, g.user)
        return redirect(url_for("tenant_core.home"))
    return render_template("joining/invitation.html", tenant=current_tenant(), invitation=invitation, login_url=_login_url())


@bp.route("/admin/invitations", methods=["GET", "POST"])
@access(role("admin"))
def admin_invitations():
    tenant = _tenant_row()
    session = platform_db()
    new_link, sent_to, error, form = None, None, None, {"email": "", "role": "member"}
    if request.method == "POST":
        form = {"email": request.form.get("email", ""), "role": request.form.get("role", "member")}
        try:

            def link_for(token: str) -> str:
                return url_for("joining.invitation_page", token=token, _external=True)

            invitation, token = invite_by_email(
                session, tenant, g.user, email=form["email"], role=form["role"], link_for=link_for
            )
            new_link, sent_to = link_for(token), invitation.email
            form = {"email": "", "role": "member"}
        except JoinError as exc:
            error = exc.message
    open_invitations = session.scalars(
        select(Invitation)
        .where(Invitation.tenant_id == tenant.id, Invitation.accepted_at.is_(None))
        .order_by(Invitation.id.desc())
        .limit(50)
    ).all()
    requests = session.execute(
        select(JoinRequest, User.name)
        .join(User, User.id == JoinRequest.user_id)
        .where(JoinRequest.tenant_id == tenant.id, JoinRequest.decision.is_(None))
        .order_by(JoinRequest.id)
        .limit(100)
    ).all()
    return render_template(
        "joining/admin.html",
        tenant=current_tenant(),
        policy=tenant.join_policy,
        invitations=open_invitations,
        requests=requests,
        new_link=new_link,
        sent_to=sent_to,
        error=error,
        form=form,
    ), 400 if error else 200


@bp.post("/admin/join-requests/<int:request_id>")
@access(role("admin"))
def admin_decide(request_id: int):
    approve = request.form.get("decision") == "approve"
    decide_join_request(
        platform_db(), _tenant_row(), g.user, request_id, approve=approve, home_link=url_for("tenant_core.home", _external=True)
    )
    return redirect(url_for("joining.admin_invitations"))


@bp.post("/admin/join-policy")
@access(role("admin"))
def admin_join_policy():
    change_join_policy(platform_db(), _tenant_row(), g.user, request.form.get("policy", ""))  # JoinError: 400 page
    return redirect(url_for("joining.admin_invitations"))


@bp.route("/admin/login-providers", methods=["GET", "POST"])
@access(role("admin"))
def admin_login_providers():
    settings = current_app.extensions["wijknet"].settings
    tenant = _tenant_row()
    form, error, field_errors, status = {"label": "", "issuer": "", "client_id": ""}, None, {}, 200
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in ("label", "issuer", "client_id")}
        try:
            add_tenant_provider(
                platform_db(),
                tenant,
                g.user,
                client_secret=request.form.get("client_secret", ""),
                key=settings.secrets_key,
                allow_loopback_http=not settings.is_production,
                **form,
            )
            return redirect(url_for("joining.admin_login_providers"))
        except ProviderError as exc:
            error, field_errors, status = exc.message, exc.errors, 400
    return render_template(
        "joining/login_providers.html",
        tenant=current_tenant(),
        providers=providers_of(platform_db(), tenant.id),
        form=form,
        error=error,
        field_errors=field_errors,
    ), status


@bp.post("/admin/login-providers/<int:provider_id>/remove")
@access(role("admin"))
def admin_remove_login_provider(provider_id: int):
    remove_tenant_provider(platform_db(), _tenant_row(), g.user, provider_id)
    return redirect(url_for("joining.admin_login_providers"))
