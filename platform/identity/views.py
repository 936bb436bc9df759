"""Sign in with OpenID Connect (authorization code + PKCE S256, state, nonce) and sign out."""
from __future__ import annotations

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from joserfc.errors import JoseError
from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..i18n import safe_next
from ..security import LOGIN_LIMIT, limiter
from ..tenancy.routing import platform_db
from .models import TenantLoginProvider, User
from .operations import LoginRefused, user_for_identity
from .tenant_providers import NAME_PREFIX, as_oidc_provider, providers_of
from .tokens import authenticate

bp = Blueprint("identity", __name__)


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
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
            overwrite=True,
        )
    app.extensions["wijknet_providers"] = registry
    app.register_blueprint(bp)
    app.before_request(_load_user)
    app.context_processor(lambda: {"current_user": g.get("user")})


def _providers() -> dict:
    return current_app.extensions["wijknet_providers"]


def _provider(name: str):
    """A network provider, or a tenant's own (`tenant-<id>`), registered with authlib on use."""
    if name in _providers():
        return _providers()[name]
    if not name.startswith(NAME_PREFIX) or not name[len(NAME_PREFIX):].isdigit():
        return None
    row = platform_db().get(TenantLoginProvider, int(name[len(NAME_PREFIX):]))
    if row is None:
        return None
    provider = as_oidc_provider(row, current_app.extensions["wijknet"].settings.secrets_key)
    registered = current_app.extensions.setdefault("wijknet_tenant_providers", {})
    if registered.get(name) != provider:
        oauth = current_app.extensions["wijknet_oauth"]
        oauth._clients.pop(name, None)  # authlib caches clients by name; the provider changed
        oauth.register(name, client_id=provider.client_id, client_secret=provider.client_secret,
                       server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
                       client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"}, overwrite=True)
        registered[name] = provider
    return provider


def _providers_for(next_path: str) -> list:
    """The network's providers, and those of the living lab the person came from."""
    found = list(_providers().values())
    parts = next_path.split("/")
    if len(parts) > 2 and parts[1] == "t":
        tenant = current_app.extensions["wijknet"].directory.by_slug(parts[2])
        if tenant is not None:
            key = current_app.extensions["wijknet"].settings.secrets_key
            found += [as_oidc_provider(row, key) for row in providers_of(platform_db(), tenant.id)]
    return found


def _client(name: str):
    return current_app.extensions["wijknet_oauth"].create_client(name)


def _load_user() -> None:
    """Who is asking. Pages: the signed session. API: only a Bearer token, never the cookie
    (the API is exempt from CSRF, so a cookie must not authenticate it)."""
    g.user = g.api_token = None
    if "/api/" in request.path:
        header = request.headers.get("Authorization", "")
        tenant = g.get("tenant")
        if not header or tenant is None:
            return
        scheme, _, value = header.partition(" ")
        token = authenticate(platform_db(), value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            abort(401, description="Unknown, revoked or malformed API token.")
        if token.tenant_id != tenant.id:
            abort(404)  # a token of another living lab: as if nothing were here
        g.user, g.api_token = platform_db().get(User, token.user_id), token
        return
    user_id = session.get("user_id")
    g.user = platform_db().get(User, user_id) if isinstance(user_id, int) else None


def _refused(message: str, status: int = 400):
    session.pop("user_id", None)
    return render_template("identity/login.html", providers=_providers_for("/"), next="/", error=message), status


@bp.get("/login")
def login_page():
    next_path = safe_next(request.args.get("next"))
    return render_template("identity/login.html", providers=_providers_for(next_path), next=next_path)


@bp.get("/login/<name>")
@limiter.limit(LOGIN_LIMIT)
def login_start(name: str):
    if _provider(name) is None:
        abort(404)
    session["login_next"] = safe_next(request.args.get("next"))
    client = _client(name)
    try:
        return client.authorize_redirect(url_for("identity.login_callback", name=name, _external=True))
    except (AuthlibBaseError, OSError):
        return _refused(_("The sign-in service cannot be reached right now. Please try again later."), 503)


@bp.get("/login/<name>/callback")
@limiter.limit(LOGIN_LIMIT)
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
        user = user_for_identity(platform_db(), issuer=claims["iss"], subject=str(claims["sub"]), claims=dict(claims))
    except LoginRefused:
        return _refused(_("An account with this email address already exists. Sign in the way you did before."), 403)
    target = session.get("login_next") or "/"
    session.clear()  # a fresh session at login: nothing from before survives
    session["user_id"] = user.id
    return redirect(safe_next(target))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(safe_next(request.form.get("next")))
