"""Which tenant a request is for, decided once per request.

Canonical URLs are `/t/<slug>/...`. `HostRouting` (WSGI middleware) rewrites
`<slug>.<WIJKNET_BASE_DOMAIN>` and custom domains onto that prefix, so every other part of
the application only ever sees the path form. `bind_tenant` gives a blueprint mounted
under `/t/<slug>` its tenant, its unit of work and the suspended-tenant rule.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, g, request
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.exceptions import Locked, NotFound

from ..db import release_request_reads, why_dead
from ..errors import is_database_unavailable, unavailable_response
from .lookups import TenantDirectory
from .names import RESERVED_SLUGS, is_plausible_slug, normalise_host
from .uow import TenantGone, TenantRef, TenantSession

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Served as the network's own pages on every host: on a lab's own host a resident must be
# able to sign in and out, switch language and read the API docs there.
GLOBAL_PATHS = (
    "/static/",
    "/healthz",
    "/readyz",
    "/login",
    "/logout",
    "/lang/",
    "/claim/",
    "/media/",
    "/api/docs",
    "/api/openapi.json",
    "/dev/outbox",
)


class HostRouting:
    """Map tenant hosts onto the `/t/<slug>` prefix; refuse malformed Host headers."""

    def __init__(self, wsgi_app, directory: TenantDirectory, base_domain: str | None):
        self.wsgi_app = wsgi_app
        self.directory = directory
        self.base_domain = base_domain.split(":")[0] if base_domain else None

    def __call__(self, environ, start_response):
        raw_host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        host = normalise_host(raw_host)
        if host is None:
            body = b'{"code": 400, "status": "Bad Request", "message": "Malformed Host header."}'
            start_response("400 Bad Request", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        slug = self.slug_for(host.split(":")[0])
        path = environ.get("PATH_INFO", "") or "/"
        if slug is not None:
            environ["wijknet.host_tenant"] = slug  # e.g. the login page lists this lab's providers
            if not path.startswith(GLOBAL_PATHS) and not path.startswith(f"/t/{slug}/") and path != f"/t/{slug}":
                environ["PATH_INFO"] = f"/t/{slug}" + (path if path != "/" else "/")
        return self.wsgi_app(environ, start_response)

    def slug_for(self, hostname: str) -> str | None:
        if self.base_domain:
            if hostname == self.base_domain:
                return None
            if hostname.endswith("." + self.base_domain):
                label = hostname[: -len(self.base_domain) - 1]
                if label in RESERVED_SLUGS:
                    return None
                # An implausible subdomain maps to a path no tenant has: a 404, no SQL.
                return label if is_plausible_slug(label) else "-"
        if hostname in {"localhost", "127.0.0.1", "::1"} or hostname.replace(".", "").isdigit():
            return None
        return self.directory.slug_for_host(hostname)


def directory() -> TenantDirectory:
    return current_app.extensions["wijknet"].directory


def current_tenant() -> TenantRef:
    tenant = g.get("tenant")
    if tenant is None:
        raise LookupError("No tenant in this request.")
    return tenant


def tenant_db() -> Session:
    """The request's tenant unit of work, opened on first use; committed by the app at the end.

    Its connection is taken at once, and looked at once more (db.why_dead: a system call,
    not a round trip): one that died since the pool's own look at checkout is replaced, once.
    The switch goes out with the transaction's first statement (tenancy/uow.py), where a
    tenant deleted since it was looked up is refused: `tenant_gone` answers 404."""
    if "tenant_session" not in g:
        tenant = current_tenant()
        _release_platform_connection()
        for attempt in (1, 2):
            session = TenantSession(current_app.extensions["wijknet"].engine, tenant)
            g.tenant_session = session  # closed at the request's end, also when the next line fails
            connection = session.connection()
            if attempt == 2 or not why_dead(connection.connection.dbapi_connection):
                break
            connection.invalidate()  # the pool drops it and connects anew
            session.close()
    return g.tenant_session


def tenant_gone(_exc: TenantGone):
    """The lab was deleted (or is being deleted) since this request looked it up: 404, as
    for any lab that does not exist, and this process's cache forgets it. Nothing of the
    request ran in it (the switch refused before the statement that found out)."""
    tenant = g.get("tenant")
    if tenant is not None:
        directory().forget(tenant.slug)
    return current_app.handle_http_exception(NotFound())


def platform_db() -> Session:
    """A session as the application role, for platform tables only. What it loaded stays
    usable after its transaction ends (expire_on_commit off): see _release_platform_connection."""
    if "platform_session" not in g:
        g.platform_session = Session(current_app.extensions["wijknet"].engine, expire_on_commit=False)
    return g.platform_session


def _release_platform_connection() -> None:
    """A request that only *read* the platform (who is asking, their membership) gives its
    connection back before it takes one for the lab: a request holds one connection at a
    time, so a pool of N serves N requests at once and can never deadlock with every
    connection held by a request waiting for its second. A later platform read begins a
    new transaction; a request that wrote to the platform keeps its transaction."""
    release_request_reads()


def bind_tenant(blueprint: Blueprint, module: str | None = None) -> Blueprint:
    """Resolve `<slug>` to the tenant for every view of `blueprint` (404 when unknown, or
    when `module` is switched off there), and check every view's access policy (members
    only unless the view says otherwise: tenants/core/access.py)."""
    from wijknet.tenants.core.access import check_access

    if getattr(blueprint, "wijknet_tenant_module", False) is not False:
        if blueprint.wijknet_tenant_module != module:
            raise ValueError(f"blueprint {blueprint.name} is already bound to module {blueprint.wijknet_tenant_module!r}")
        return blueprint  # bound already (an app made earlier in this process)
    blueprint.wijknet_tenant_module = module
    blueprint.before_request(check_access)

    @blueprint.url_value_preprocessor
    def _pull_tenant(endpoint, values):
        slug = (values or {}).pop("slug", None)
        tenant = directory().by_slug(slug) if isinstance(slug, str) else None
        if tenant is None:
            abort(404)
        if module is not None and module not in tenant.modules:
            abort(404)
        g.tenant = tenant

    @blueprint.url_defaults
    def _add_slug(endpoint, values):
        if "slug" not in values and g.get("tenant") is not None:
            values["slug"] = g.tenant.slug

    return blueprint


PLATFORM_ONLY_WRITES = ("admin/billing", "admin/export", "tokens")


def refuse_writes_to_suspended_tenants():
    """App-wide, before routing errors: any unsafe request under `/t/<slug>/` of a
    suspended tenant answers 423, whatever the route. Its transactions are read-only too."""
    if request.method in SAFE_METHODS or not request.path.startswith("/t/"):
        return None
    slug = request.path.split("/", 3)[2]
    tenant = directory().by_slug(slug)
    if tenant is None or not tenant.read_only:
        return None
    # What writes to the platform only stays possible: paying, the data export, revoking
    # or making one's own API tokens (the lab's own data is read-only in the database too).
    if request.path.startswith(tuple(f"/t/{slug}/{path}" for path in PLATFORM_ONLY_WRITES)):
        return None
    if tenant.status == "suspended":
        raise Locked(gettext("This living lab is suspended: it can be read, not changed."))
    raise Locked(gettext("Payment for this living lab is overdue: it can be read, not changed, until it is paid."))


def finish_request(response):
    """Commit the request's writes when the response is a success, else roll back.

    A request writes to one store: its tenant or the platform (a change that concerns both,
    like a new membership, reaches the tenant after the platform commits:
    tenancy/follow_up.py). Sessions that only read end first, then the one that wrote
    commits, so the answer is decided by exactly one commit: a success is never answered
    after a half commit, and a database that fails at commit is a 503.

    A reader of a successful request ends with COMMIT, not ROLLBACK: it wrote nothing, so
    both end it alike, but psycopg forgets every prepared statement of the connection at a
    rollback (and deallocates them on the server), so with rollbacks no statement of a
    request would ever be prepared and each would be planned anew every time."""
    sessions = [(key, g.pop(key)) for key in ("tenant_session", "platform_session") if key in g]
    try:
        writers = [session for _key, session in sessions if session.info.get("wrote")] if response.status_code < 400 else []
        if len(writers) > 1:
            log.error("%s %s wrote to the platform and a tenant in one request", request.method, request.path)
            if current_app.testing:
                raise RuntimeError(f"{request.method} {request.path} wrote to the platform and a tenant in one request")
        for _key, session in sessions:
            if session not in writers:
                session.commit() if response.status_code < 400 else session.rollback()
        for session in writers:
            session.commit()
    except DBAPIError as exc:
        if not is_database_unavailable(exc):
            raise
        log.warning("commit failed on %s %s: %s", request.method, request.path, type(exc).__name__)
        return unavailable_response()
    finally:
        for _key, session in sessions:
            session.close()
    return response


def close_sessions(_exc=None) -> None:
    for key in ("tenant_session", "platform_session"):
        session = g.pop(key, None)
        if session is not None:
            session.close()
