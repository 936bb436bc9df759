"""Security review finding 12: a database that goes away is a 503 with a retry hint, never a
500 and never a half-written change; a connection that died between requests is replaced
before anything of the next request is sent."""

import re
import time

import pytest
from flask import g, request
from sqlalchemy import func, select, text

from wijknet.platform.app import create_app
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Post

pytestmark = pytest.mark.tenancy

FORM = {"kind": "need", "title": "Wie helpt met snoeien?", "body": "Mijn heg is te hoog.", "categories": "groen"}


def _kill(engine, pid):
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(CAST(:pid AS int))"), {"pid": pid})
        other.commit()


@pytest.fixture
def fragile_app(environ, engine):
    """The app, with a hook that kills a POST's own database connection just before it commits."""
    app = create_app(environ, engine=engine)

    @app.after_request  # runs before the app's own commit (after_request runs last-registered first)
    def kill_own_connection(response):
        session = g.get("tenant_session")
        if request.method == "POST" and session is not None:
            _kill(engine, session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar())
        return response

    return app


def _posts(engine, tenant):
    with tenant_unit_of_work(engine, tenant) as session:
        return session.scalar(select(func.count()).select_from(Post))


def test_a_connection_lost_before_the_commit_is_a_503_and_nothing_is_written(
    fragile_app, engine, make_tenant, make_member, login_as
):
    tenant = make_tenant(modules=("board",))
    client = login_as(fragile_app.test_client(), make_member(tenant))
    path = f"/t/{tenant.slug}/board/new"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
    answer = client.post(path, data=dict(FORM, csrf_token=token))
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "Tijdelijk niet beschikbaar" in answer.get_data(as_text=True)
    assert _posts(engine, tenant) == 0
    # The app goes on: the dead connection is dropped from the pool, the next request works.
    assert client.get(f"/t/{tenant.slug}/board/").status_code == 200


def test_the_api_answers_503_in_json(fragile_app, engine, make_tenant, make_member):
    from sqlalchemy.orm import Session

    from wijknet.platform.identity.models import User
    from wijknet.platform.identity.tokens import create_token

    tenant = make_tenant(modules=("board",))
    user = make_member(tenant)
    with Session(engine) as session, session.begin():
        token = create_token(session, tenant_id=tenant.id, user=session.get(User, user), name="t")[1]
    answer = fragile_app.test_client().post(
        f"/t/{tenant.slug}/api/v1/board/posts",
        headers={"Authorization": f"Bearer {token}"},
        json={"kind": "offer", "title": "Ik snoei", "body": "Heggen.", "categories": ["groen"]},
    )
    assert answer.status_code == 503 and answer.json["code"] == "service_unavailable" and answer.headers["Retry-After"]
    assert _posts(engine, tenant) == 0


def test_connections_killed_between_requests_are_replaced(client, engine, make_tenant, database_url):
    from sqlalchemy.engine import make_url

    tenant = make_tenant()
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    with engine.connect() as conn:
        killed = (
            conn.execute(
                text(
                    "WITH others AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid())"
                    " SELECT pid FROM others WHERE pg_terminate_backend(pid)"
                ),
                {"db": make_url(database_url).database},
            )
            .scalars()
            .all()
        )
        conn.commit()
        # Between requests: the killed backends have ended (their sockets said so) before the next.
        for _ in range(100):
            if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"), {"p": killed}).scalar():
                break
            conn.commit()
            time.sleep(0.05)
    for _ in range(3):
        assert client.get(f"/t/{tenant.slug}/").status_code == 200


def test_a_request_waits_for_a_lock_at_most_the_lock_timeout(environ, engine, make_tenant, make_member):
    """Issue 17: the web app's connections carry statement and lock timeouts; a request that
    meets a held lock answers 503 with a retry hint after the timeout, not after minutes."""
    import time

    from sqlalchemy import text as sql
    from sqlalchemy.orm import Session

    from wijknet.platform.app import create_app
    from wijknet.platform.identity.models import User
    from wijknet.platform.identity.tokens import create_token

    app = create_app(dict(environ, WIJKNET_LOCK_TIMEOUT_MS="300", WIJKNET_STATEMENT_TIMEOUT_MS="2000"))  # its own engine
    own = app.extensions["wijknet"].engine
    try:
        with own.connect() as conn:
            assert conn.execute(sql("SHOW lock_timeout")).scalar() == "300ms"
            assert conn.execute(sql("SHOW statement_timeout")).scalar() == "2s"
        lab = make_tenant(modules=("board",))
        user_id = make_member(lab)
        with Session(engine) as session, session.begin():
            token = create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name="t")[1]
        with engine.connect() as holder:
            holder.execute(sql(f'LOCK TABLE "{lab.schema_name}".board_posts IN ACCESS EXCLUSIVE MODE'))
            started = time.perf_counter()
            answer = app.test_client().get(f"/t/{lab.slug}/api/v1/board/posts", headers={"Authorization": f"Bearer {token}"})
            waited = time.perf_counter() - started
            holder.rollback()
        assert answer.status_code == 503 and answer.headers["Retry-After"] and answer.json["code"] == "service_unavailable"
        assert waited < 3
    finally:
        own.dispose()
