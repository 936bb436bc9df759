"""The application factory: configuration, database, tenancy, pages and API."""

from __future__ import annotations

from flask import Flask, send_from_directory
from sqlalchemy.engine import Engine

from . import api_docs, errors, health, i18n, inputs, observability, paging, security
from .config import load_settings
from .db import guard_connections
from .modules import all_modules
from .state import PlatformState, build_state
from .tenancy import activity
from .tenancy.routing import (
    HostRouting,
    bind_tenant,
    close_sessions,
    finish_request,
    refuse_writes_to_suspended_tenants,
    tenant_gone,
)
from .tenancy.uow import TenantGone

__all__ = ["PlatformState", "create_app"]  # PlatformState: app.extensions["wijknet"]


def create_app(environ: dict | None = None, *, engine: Engine | None = None) -> Flask:
    settings = load_settings(environ)
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        API_TITLE="wijknet",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served by us (swagger-ui-bundle), never from a CDN.
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        TESTING=settings.env == "test",
    )
    state = build_state(settings, engine)
    guard_connections(state.engine)
    app.extensions["wijknet"] = state

    observability.init_app(app)  # first: the request id and the request's log line cover everything
    inputs.init_app(app)  # bounded ids in every route, bad input refused before any view
    i18n.init_app(app)
    security.init_app(app)
    _register_template_helpers(app)
    paging.init_app(app)
    api = errors.Api(app, spec_kwargs={"extra_plugins": [api_docs.ErrorsAndSecurityPlugin()]})
    api_docs.init_spec(api)
    errors.register_error_handlers(app, api)
    _register_api_assets(app)
    app.register_blueprint(health.bp)
    from .identity import views as identity_views

    identity_views.init_app(app)
    from .identity import tenant_views as joining_views

    app.register_blueprint(joining_views.bp)
    from .identity import token_views

    app.register_blueprint(token_views.bp)
    if settings.mail_url == "log":
        from .mail import views as outbox_views

        app.register_blueprint(outbox_views.bp)

    from wijknet.tenants.core import api as tenant_core_api
    from wijknet.tenants.core import views as tenant_core_views

    from .network import api as network_api
    from .network import views as network_views

    app.register_blueprint(network_views.bp)
    api.register_blueprint(network_api.blp)
    app.register_blueprint(tenant_core_views.bp)
    api.register_blueprint(tenant_core_api.blp)
    from . import storage
    from .admin import views as admin_views
    from .billing import views as billing_views

    app.register_blueprint(storage.bp)
    from .staff import api as staff_api
    from .staff import views as staff_views

    app.register_blueprint(staff_views.bp)
    api.register_blueprint(staff_api.blp)
    app.register_blueprint(billing_views.bp)

    app.register_blueprint(admin_views.bp)
    # Every module's pages and API, each answering 404 where the module is switched off and
    # checking each view's access policy (tenancy/routing.bind_tenant).
    for module in all_modules().values():
        for blueprint in module.page_blueprints():
            app.register_blueprint(bind_tenant(blueprint, module=module.name))
        for blueprint in module.api_blueprints():
            api.register_blueprint(bind_tenant(blueprint, module=module.name))

    app.register_error_handler(TenantGone, tenant_gone)
    app.before_request(refuse_writes_to_suspended_tenants)
    app.before_request(security.check_csrf)
    app.after_request(activity.note_activity)  # after_request runs in reverse: after the commit
    app.after_request(finish_request)
    app.teardown_request(close_sessions)
    app.after_request(_security_headers)
    if settings.is_production:
        app.after_request(_strict_transport_security)
    app.wsgi_app = HostRouting(app.wsgi_app, state.directory, settings.base_domain)
    if settings.proxy_hops:
        # Behind a load balancer: trust that many X-Forwarded-* hops (client address for rate
        # limits, scheme for Secure cookies, host for tenant routing).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops, x_host=settings.proxy_hops)
    return app


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from .labels import TENANT_TYPE_LABELS, billing_status_label, module_label, role_label, tenant_status_label
    from .navigation import tenant_modules, tenant_navigation

    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or "nl"),
        tenant_type_label=lambda code: TENANT_TYPE_LABELS.get(code, code),
        module_label=module_label,
        role_label=role_label,
        billing_status_label=billing_status_label,
        tenant_status_label=tenant_status_label,
        tenant_navigation=tenant_navigation,
        tenant_role_at_least=_has_role,
        tenant_modules=tenant_modules,
    )


def _has_role(role: str) -> bool:
    from .identity.access import has_role

    return has_role(role)


def _register_api_assets(app: Flask) -> None:
    import swagger_ui_bundle

    @app.get("/api/docs/assets/<path:filename>")
    def api_docs_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


def _strict_transport_security(response):
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


# No inline script anywhere (scripts are files in static/); inline style only for a lab's
# brand colour. The API docs page (Swagger UI, a developer tool) starts itself with an
# inline script: it alone gets 'unsafe-inline' for scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
API_DOCS_POLICY = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def _security_headers(response):
    from flask import request

    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        docs = request.endpoint == "api-docs.openapi_swagger_ui"
        response.headers.setdefault("Content-Security-Policy", API_DOCS_POLICY if docs else CONTENT_SECURITY_POLICY)
    return response
