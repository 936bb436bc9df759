"""Sign in with OpenID Connect (authorization code + PKCE S256, state, nonce), claim an
account made in advance, and sign out (everywhere)."""

from __future__ import annotations

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError

from ..i18n import safe_next
from ..inputs import bounded_int
from ..security import limiter, login_limit
from ..tenancy.routing import platform_db
from .models import TenantLoginProvider, User
from .operations import LoginRefused, end_sessions, find_claim, user_for_identity
from .outbound import GuardedOAuth2App
from .tenant_providers import NAME_PREFIX, as_oidc_provider, providers_of
from .tokens import authenticate_with_membership

bp = Blueprint("identity", __name__)
PROVIDER_TIMEOUT_SECONDS = 10
CLIENT_KWARGS = {"scope": "openid email profile", "code_challenge_method": "S256", "default_timeout": PROVIDER_TIMEOUT_SECONDS}


def init_app(app: Flask) -> None:
    # Clock skew allowed when checking an ID token's exp and iat.
    app.config.setdefault("OIDC_LEEWAY_SECONDS", 60)
    # One registry per app: authlib caches each client (and its discovery document).
    oauth = OAuth(app)
    app.extensions["wijknet_oauth"] = oauth
    registry = {}
    for provider in app.extensions["wijknet"].settings.oidc_providers:
        registry[provider.name] = provider
        oauth.register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs=dict(CLIENT_KWARGS),
            overwrite=True,
        )
    app.extensions["wijknet_providers"] = registry
    app.register_blueprint(bp)
    app.before_request(_load_user)
    app.context_processor(lambda: {"current_user": g.get("user")})


def _providers() -> dict:
    return current_app.extensions["wijknet_providers"]


def _provider(name: str):
    """A network provider, or a lab's own (`tenant-<id>`), registered with authlib on use.

    A lab's own provider is called only through the SSRF guard (outbound.py)."""
    if name in _providers():
        return _providers()[name]
    provider_id = bounded_int(name[len(NAME_PREFIX) :], low=1) if name.startswith(NAME_PREFIX) else None
    if provider_id is None:
        return None
    row = platform_db().get(TenantLoginProvider, provider_id)
    if row is None:
        return None
    provider = as_oidc_provider(row, current_app.extensions["wijknet"].settings.secrets_key)
    registered = current_app.extensions.setdefault("wijknet_tenant_providers", {})
    if registered.get(name) != provider:
        oauth = current_app.extensions["wijknet_oauth"]
        oauth._clients.pop(name, None)  # authlib caches clients by name; the provider changed
        oauth.register(
            name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs=dict(CLIENT_KWARGS),
            client_cls=GuardedOAuth2App,
            overwrite=True,
        )
        registered[name] = provider
    return provider


def _tenant_slug_of(next_path: str) -> str | None:
    """The living lab a person came from: the host they use, or the path they go back to."""
    if request.environ.get("wijknet.host_tenant"):
        return request.environ["wijknet.host_tenant"]
    parts = next_path.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "t" else None


def _providers_for(next_path: str, *, network_only: bool = False) -> list:
    """The network's providers, and those of the living lab the person came from."""
    found = list(_providers().values())
    slug = None if network_only else _tenant_slug_of(next_path)
    tenant = current_app.extensions["wijknet"].directory.by_slug(slug) if slug else None
    if tenant is not None:
        key = current_app.extensions["wijknet"].settings.secrets_key
        found += [as_oidc_provider(row, key) for row in providers_of(platform_db(), tenant.id)]
    return found


def _client(name: str):
    return current_app.extensions["wijknet_oauth"].create_client(name)


STAFF_API = "/api/v1/staff/"


def _load_user() -> None:
    """Who is asking. Pages: the signed session, if it is of the user's current generation
    (sign-out ends every earlier session). API: only a Bearer token, never the cookie (the
    API is exempt from CSRF, so a cookie must not authenticate it)."""
    g.user = g.api_token = None
    if "/api/" in request.path:
        header = request.headers.get("Authorization", "")
        tenant = g.get("tenant")
        staff_api = request.path.startswith(STAFF_API)
        if not header or (tenant is None and not staff_api):
            return
        scheme, _, value = header.partition(" ")
        found = (
            authenticate_with_membership(current_app.extensions["wijknet"].engine, platform_db(), value.strip())
            if scheme.lower() == "bearer"
            else None
        )
        if found is None:
            abort(401, description="Unknown, revoked or malformed API token.")
        token, user, membership = found
        if staff_api:
            if token.scope != "staff" or not user.is_staff:
                abort(403, description="This API is for network staff, with a staff token.")
        elif token.scope != "tenant" or token.tenant_id != tenant.id:
            abort(404)  # a token of another living lab (or the staff API's): as if nothing were here
        g.user, g.api_token = user, token
        if not staff_api:
            g.membership = membership  # in this lab (the token's, checked above), read with the token
        return
    user_id = session.get("user_id")
    user = platform_db().get(User, user_id) if isinstance(user_id, int) and 0 < user_id < 2**63 else None
    if user is not None and session.get("generation") != user.session_generation:
        session.clear()  # signed out elsewhere since this cookie was made
        user = None
    g.user = user


def _refused(message: str, status: int = 400):
    session.pop("user_id", None)
    return render_template("identity/login.html", providers=_providers_for("/"), next="/", error=message), status


@bp.get("/login")
def login_page():
    next_path = safe_next(request.args.get("next"))
    return render_template("identity/login.html", providers=_providers_for(next_path), next=next_path)


@bp.get("/login/<name>")
@limiter.limit(login_limit)
def login_start(name: str):
    provider = _provider(name)
    if provider is None:
        abort(404)
    if session.get("claim") and provider.tenant_id is not None:
        abort(404)  # an account made in advance is claimed through the network's providers only
    session["login_next"] = safe_next(request.args.get("next"))
    client = _client(name)
    try:
        return client.authorize_redirect(url_for("identity.login_callback", name=name, _external=True))
    except (AuthlibBaseError, OSError):
        return _refused(_("The sign-in service cannot be reached right now. Please try again later."), 503)


@bp.get("/login/<name>/callback")
@limiter.limit(login_limit)
def login_callback(name: str):
    provider = _provider(name)
    if provider is None:
        abort(404)
    client = _client(name)
    try:
        token = client.authorize_access_token(leeway=current_app.config["OIDC_LEEWAY_SECONDS"])
    except (AuthlibBaseError, JoseError) as exc:  # joserfc: a bad or expired ID token
        current_app.logger.info("login refused at %s: %s", name, exc)
        return _refused(_("Signing in did not succeed. Please start again."))
    except OSError:
        return _refused(_("The sign-in service cannot be reached right now. Please try again later."), 503)
    claims = token.get("userinfo")
    if not claims or not claims.get("sub") or not claims.get("iss"):
        # authlib validates the ID token only when it kept a nonce: insist on one.
        return _refused(_("Signing in did not succeed. Please start again."))
    metadata_issuer = (client.load_server_metadata().get("issuer") or "").rstrip("/")
    if claims["iss"].rstrip("/") != provider.issuer or metadata_issuer != provider.issuer:
        # authlib checks the token against the discovery document; we also check that the
        # discovery document is the issuer we were configured with (OpenID Discovery §4.3).
        current_app.logger.warning("login refused at %s: issuer %s, expected %s", name, claims["iss"], provider.issuer)
        return _refused(_("Signing in did not succeed. Please start again."))
    try:
        user = user_for_identity(
            platform_db(),
            issuer=claims["iss"].rstrip("/"),
            subject=str(claims["sub"])[:255],
            claims=dict(claims),
            tenant_id=provider.tenant_id,
            link_verified_email=provider.link_verified_email,
            claim_token=session.get("claim") if provider.tenant_id is None else None,
        )
    except LoginRefused as exc:
        return _refused(exc.message, 403)
    target = session.get("login_next") or "/"
    session.clear()  # a fresh session at login: nothing from before survives
    session["user_id"], session["generation"] = user.id, user.session_generation
    return redirect(safe_next(target))


@bp.route("/claim/<claim_token>", methods=["GET"])
def claim_page(claim_token: str):
    """The link an operator's new account came with: sign in once to make it yours."""
    try:
        claim = find_claim(platform_db(), claim_token)
    except LoginRefused as exc:
        return render_template("identity/claim.html", error=exc.message, providers=[]), exc.status
    person = platform_db().get(User, claim.user_id)
    session["claim"] = claim_token
    return render_template("identity/claim.html", person=person, providers=_providers_for("/", network_only=True))


@bp.post("/logout")
def logout():
    if g.get("user") is not None:
        end_sessions(platform_db(), g.user.id)
    session.clear()
    return redirect(safe_next(request.form.get("next")))
