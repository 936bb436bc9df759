"""Fixtures: a fresh database per run on the configured server, the app, tenants, the CLI.

Each run creates `wijknet_test_<hex>` on the server of DATABASE_URL (else the embedded
pgserver in var/pg) and drops it, with its tenant roles, at the end. Role names carry the
database name as prefix, so runs on one server never collide; roles left by a run that was
killed are dropped by the next one.
"""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
import sys
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import make_url

from wijknet.platform.app import create_app
from wijknet.platform.db import make_engine
from wijknet.platform.devdb import embedded_server_url
from wijknet.platform.tenancy.lookups import tenant_ref
from wijknet.platform.tenancy.migrate import upgrade_platform
from wijknet.platform.tenancy.names import role_prefix
from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIGRATIONS = os.path.join(REPO, "migrations")


def _citus_url() -> str | None:
    """A Citus coordinator (superuser) whose maintenance database lists its workers: the
    `-m citus` tier (tests/support/citus_cluster.py starts one on loopback)."""
    configured = os.environ.get("WIJKNET_CITUS_URL")
    if not configured:
        return None
    return make_url(configured).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


CITUS_URL = _citus_url()


def _server_url() -> str:
    if CITUS_URL:
        return CITUS_URL
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return make_url(configured).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return embedded_server_url("postgres")


def _conninfo(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def _drop_stale(conn) -> None:
    """Drop test databases and roles of earlier runs that died before cleaning up."""
    alive = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    for (role,) in conn.execute(r"SELECT rolname FROM pg_roles WHERE rolname ~ '^wijknet_test_[0-9a-f]{8}_t_\d+$'").fetchall():
        if role.rsplit("_t_", 1)[0] not in alive:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


def _citus_workers(admin: str) -> list[tuple[str, int]]:
    with psycopg.connect(admin, autocommit=True) as conn:
        has_citus = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'").fetchone()
        rows = (
            has_citus
            and conn.execute(
                "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeid"
            ).fetchall()
        )
    if not rows:
        raise pytest.UsageError(f"WIJKNET_CITUS_URL: the coordinator's maintenance database lists no workers ({admin}).")
    return [(host, port) for host, port in rows]


def _node_conninfo(server_url: str, host: str, port: int, database: str) -> str:
    return (
        make_url(server_url)
        .set(drivername="postgresql", host=host, port=port, database=database)
        .render_as_string(hide_password=False)
    )


@contextmanager
def fresh_database(server_url: str):
    """A new database on the server, dropped afterwards with the tenant roles it made. On a
    Citus coordinator (WIJKNET_CITUS_URL) the database is made on every node and made a
    Citus database with the coordinator's workers."""
    name = f"wijknet_test_{secrets.token_hex(4)}"
    admin = _conninfo(server_url, "postgres")
    coordinator = make_url(server_url)
    workers = _citus_workers(admin) if CITUS_URL else []
    nodes = [_node_conninfo(server_url, host, port, "postgres") for host, port in workers]
    for node in [admin, *nodes]:
        with psycopg.connect(node, autocommit=True) as conn:
            _drop_stale(conn)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if workers:
        for node in nodes:
            with psycopg.connect(
                make_url(node).set(database=name).render_as_string(hide_password=False), autocommit=True
            ) as conn:
                conn.execute("CREATE EXTENSION citus")
        with psycopg.connect(_conninfo(server_url, name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION citus")
            conn.execute("SELECT citus_set_coordinator_host(%s, %s)", (coordinator.host or "127.0.0.1", coordinator.port or 5432))
            for host, port in workers:
                conn.execute("SELECT citus_add_node(%s, %s)", (host, port))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        for node in [admin, *nodes]:
            with psycopg.connect(node, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                for (role,) in conn.execute(
                    "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (name + "\\_t\\_%",)
                ).fetchall():
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture(scope="session")
def database_url(server_url):
    with fresh_database(server_url) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url):
    eng = make_engine(database_url)
    upgrade_platform(eng, MIGRATIONS)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def prefix(database_url) -> str:
    return role_prefix(make_url(database_url).database)


@pytest.fixture
def environ(database_url, tmp_path) -> dict:
    return {
        "WIJKNET_ENV": "test",
        "DATABASE_URL": database_url,
        "WIJKNET_TENANT_CACHE_SECONDS": "0",
        "WIJKNET_UPLOAD_DIR": str(tmp_path / "uploads"),
        "WIJKNET_EXPORT_DIR": str(tmp_path / "exports"),
    }


@pytest.fixture
def app(environ, engine):
    return create_app(environ, engine=engine)


@pytest.fixture
def client(app):
    # Not `with app.test_client()`: a preserved request context would make other clients of
    # the same app share its `g` (and flask-wtf's cached CSRF token).
    return app.test_client()


_counter = itertools.count(1)


@pytest.fixture
def make_tenant(engine, prefix):
    """Provision a tenant through the real provisioning code; returns its TenantRef."""

    def make(slug: str | None = None, **kw):
        slug = slug or f"lab-{next(_counter)}-{secrets.token_hex(3)}"
        spec = TenantSpec(slug=slug, name=kw.pop("name", f"Lab {slug}"), **kw)
        tenant = provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS, actor="test")
        return tenant_ref(tenant, tuple(sorted(spec.modules)))

    return make


def clean_env(environ: dict, **extra) -> dict:
    """The environment for a process a test starts: nothing of the developer's shell (a real
    WIJKNET_MAIL_URL, another DATABASE_URL, BIND, PORT, a Sentry DSN) reaches it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WIJKNET_", "RATELIMIT_", "REDIS_URL", "SENTRY_"))
        and k not in ("DATABASE_URL", "BIND", "PORT", "SECRET_KEY", "WEB_CONCURRENCY")
    }
    env.update(environ, **extra)
    return env


@pytest.fixture
def run_cli(environ):
    """Run the real `wijknet` console script; returns the CompletedProcess."""
    exe = os.path.join(os.path.dirname(sys.executable), "wijknet")

    def run(*args: str, extra_env: dict | None = None, input: str | None = None):
        env = clean_env(environ, **(extra_env or {}))
        return subprocess.run([exe, *args], env=env, capture_output=True, text=True, input=input, timeout=300)

    return run


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


@pytest.fixture
def count_queries(engine):
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def make_member(engine):
    """A user with `role` in `tenant` (through the real operations); returns the user id."""
    from sqlalchemy.orm import Session

    from wijknet.platform.tenancy.models import Tenant
    from wijknet.platform.tenancy.operations import add_member, ensure_user

    def make(tenant, role="member", name=None):
        name = name or f"{role.title()} {secrets.token_hex(2)}"
        with Session(engine) as session, session.begin():
            user = ensure_user(session, f"{secrets.token_hex(4)}@{tenant.slug}.example", name)
            add_member(session, session.get(Tenant, tenant.id), user, role)
            return user.id

    return make


@pytest.fixture
def login_as(engine):
    """Sign a test client in as a user (the OpenID flow itself is tested in identity/)."""
    from sqlalchemy.orm import Session

    from wijknet.platform.identity.models import User

    def login(client, user_id: int, base_url: str = "http://localhost"):
        with Session(engine) as session:
            user = session.get(User, user_id)
            generation = user.session_generation if user is not None else 0
        with client.session_transaction(base_url=base_url) as flask_session:
            flask_session.clear()
            flask_session["user_id"] = user_id
            flask_session["generation"] = generation
        return client

    return login


@pytest.fixture
def board_tenant_with_posts(engine, make_tenant, make_member):
    """A lab with the board and the shipped fixture (61 posts) by four members, one conversation."""
    from datetime import timedelta

    from sqlalchemy import select

    from wijknet.platform.tenancy.uow import tenant_unit_of_work
    from wijknet.tenants.board.fixtures import load_fixture
    from wijknet.tenants.board.operations import create_post, react
    from wijknet.tenants.core.models import Member
    from wijknet.tenants.core.time import tenant_today

    tenant = make_tenant(modules=("board",))
    users = [make_member(tenant, name=f"Buur {i}") for i in range(4)]
    settings = {
        "categories": ["zorg", "groen", "klussen", "vervoer", "voedsel", "energie", "werk", "leren"],
        "posts_per_day": 1000,
        "approval_required": False,
    }
    with tenant_unit_of_work(engine, tenant) as session:
        members = [session.scalars(select(Member).where(Member.user_id == u)).one() for u in users]
        posts = [
            create_post(
                session,
                members[i % 4],
                settings,
                kind=item["kind"],
                title=item["title"],
                body=item["body"],
                categories=item["categories"],
                organisation=item.get("organisation"),
                area=item.get("area"),
                valid_until=tenant_today() + timedelta(days=30),
            )
            for i, item in enumerate(load_fixture())
        ]
        react(session, posts[0], members[1], kind="help", message="Ik kom helpen.")
    return tenant


# --- the Citus tier ------------------------------------------------------------------------
# `-m citus` runs the tenancy tests, the board's pages and API and the Citus-only tests (a
# live tenant move) on a Citus coordinator named by WIJKNET_CITUS_URL. Citus-only tests need
# that coordinator: without it they are left out and the summary says so.
CITUS_TIER = ("tests/tenants/board/test_pages_and_api.py",)


def pytest_collection_modifyitems(config, items):
    citus_only = pytest.mark.citus_only.name
    left_out = []
    for item in items:
        if item.get_closest_marker("tenancy") or item.nodeid.startswith(CITUS_TIER) or item.get_closest_marker(citus_only):
            item.add_marker(pytest.mark.citus)
        if item.get_closest_marker(citus_only) and not CITUS_URL:
            left_out.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]
        config._wijknet_citus_left_out = len(left_out)


def pytest_terminal_summary(terminalreporter, config):
    left_out = getattr(config, "_wijknet_citus_left_out", 0)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} Citus-only test(s) left out: WIJKNET_CITUS_URL names no Citus coordinator (see docs/scale-out.md)."
        )
