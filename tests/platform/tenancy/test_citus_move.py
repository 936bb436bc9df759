"""Citus only: a living lab moved between workers while people use it over HTTP (issue 15).

Writers post through the API and readers read the board, over real HTTP, while
`wijknet tenants move` moves the lab's schema to the other worker and back. Every request
must be answered (no error), and every post answered 201 must be there afterwards, on the
worker the lab was moved to.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.live_server import LiveServer
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.citus import tenant_node, worker_nodes
from wijknet.platform.tenancy.models import ModuleSetting, StaffAuditEntry
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Post

pytestmark = [pytest.mark.citus_only, pytest.mark.tenancy]


WRITERS = 4
POSTS_PER_WRITER = 90  # under the board's highest daily limit per member (100)


def _lab_with_writers(engine, make_tenant, make_member):
    tenant = make_tenant(modules=("board",))
    with Session(engine) as session, session.begin():
        row = session.get(ModuleSetting, (tenant.id, "board"))
        row.settings = dict(row.settings or {}, posts_per_day=100)
    headers = []
    for _ in range(WRITERS):
        user_id = make_member(tenant)
        with Session(engine) as session, session.begin():
            token = create_token(session, tenant_id=tenant.id, user=session.get(User, user_id), name="load")[1]
        headers.append({"Authorization": f"Bearer {token}"})
    return tenant, headers


def _node_of(engine, tenant):
    with engine.connect() as conn:
        return tenant_node(conn, tenant.schema_name)


def test_a_lab_moved_between_workers_under_http_load_loses_nothing(app, engine, make_tenant, make_member, run_cli):
    tenant, headers = _lab_with_writers(engine, make_tenant, make_member)
    with engine.connect() as conn:
        workers = [n for n in worker_nodes(conn) if not n.is_coordinator]
    start = _node_of(engine, tenant)
    other = next(n for n in workers if n.id != start.id)

    accepted: list[str] = []
    failures: list[str] = []
    reads = [0]
    stop = threading.Event()

    with LiveServer(app) as server:
        base = f"{server.url}/t/{tenant.slug}/api/v1/board/posts"

        def write(worker: int) -> None:
            with requests.Session() as http:
                n = 0
                while not stop.is_set() and n < POSTS_PER_WRITER:
                    n += 1
                    title = f"Verhuistest {worker}-{n}"
                    body = {"kind": "offer", "title": title, "body": "Tijdens de verhuizing.", "categories": ["groen"]}
                    try:
                        answer = http.post(base, json=body, headers=headers[worker], timeout=30)
                    except requests.RequestException as exc:
                        failures.append(f"POST {title}: {exc}")
                        continue
                    if answer.status_code == 201:
                        accepted.append(title)
                    else:
                        failures.append(f"POST {title}: {answer.status_code} {answer.text[:200]}")
                    time.sleep(0.05)  # spread over the moves

        def read() -> None:
            with requests.Session() as http:
                while not stop.is_set():
                    try:
                        answer = http.get(base, headers=headers[0], timeout=30)
                    except requests.RequestException as exc:
                        failures.append(f"GET: {exc}")
                        continue
                    if answer.status_code != 200:
                        failures.append(f"GET: {answer.status_code} {answer.text[:200]}")
                    reads[0] += 1

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)] + [threading.Thread(target=read)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1)
            there = run_cli("tenants", "move", "--slug", tenant.slug, "--to-node", other.address)
            assert there.returncode == 0, there.stderr
            assert f"to {other.address}" in there.stdout
            time.sleep(1)
            back = run_cli("tenants", "move", "--slug", tenant.slug, "--to-node", str(start.id), "--mode", "block_writes")
            assert back.returncode == 0, back.stderr
            time.sleep(1)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)

    assert failures == []
    assert len(accepted) > 20 and reads[0] > 5, (len(accepted), reads[0])
    assert _node_of(engine, tenant).id == start.id
    with tenant_unit_of_work(engine, tenant) as session:
        stored = set(session.scalars(select(Post.title).where(Post.title.like("Verhuistest %"))))
        assert session.scalar(select(func.count()).select_from(Post)) == len(accepted)
    assert stored == set(accepted)
    with Session(engine) as session:
        moves = session.scalars(
            select(StaffAuditEntry.detail)
            .where(StaffAuditEntry.tenant_id == tenant.id, StaffAuditEntry.action == "tenant.moved")
            .order_by(StaffAuditEntry.id)
        ).all()
    assert [(m["from"], m["to"]) for m in moves] == [(start.address, other.address), (other.address, start.address)]


def test_moving_asks_for_a_known_worker(engine, make_tenant, run_cli):
    tenant = make_tenant()
    refused = run_cli("tenants", "move", "--slug", tenant.slug, "--to-node", "127.0.0.1:1")
    assert refused.returncode == 1 and "No worker '127.0.0.1:1'; the workers are:" in refused.stderr
    unknown = run_cli("tenants", "move", "--slug", "no-such-lab", "--to-node", "1")
    assert unknown.returncode == 1 and "No living lab with slug 'no-such-lab'" in unknown.stderr
    listed = run_cli("tenants", "nodes")
    assert listed.returncode == 0 and "living lab(s)" in listed.stdout


def test_db_upgrade_knows_citus_and_refuses_database_wide_sharding(engine, database_url, run_cli):
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    said = run_cli("db", "upgrade")
    assert said.returncode == 0, said.stderr
    assert "Citus 13." in said.stdout and "with 2 worker(s)" in said.stdout
    database = make_url(database_url).database
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{database}" SET citus.enable_schema_based_sharding = on'))
        conn.commit()
    try:
        refused = run_cli("db", "upgrade")
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" RESET citus.enable_schema_based_sharding'))
            conn.commit()
    assert refused.returncode == 1 and "citus.enable_schema_based_sharding is on for this database" in refused.stderr
