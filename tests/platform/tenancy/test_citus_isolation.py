"""Citus only: isolation holds on every node, not only through the coordinator (issue 15).

On each worker, directly: lab A's role is refused lab B's schema (where B's shards are when
B lives there), and the `platform` schema; on the coordinator the same is shown by
test_isolation.py, which the `-m citus` tier runs there."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from wijknet.platform.tenancy.citus import tenant_node, worker_nodes

pytestmark = [pytest.mark.citus_only, pytest.mark.tenancy]


def _as_role(url: str, role: str):
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    return conn


def test_a_tenant_role_is_refused_other_labs_and_the_platform_on_every_worker(engine, make_tenant, database_url):
    from sqlalchemy.engine import make_url

    labs = [make_tenant() for _ in range(4)]  # placed round-robin: each worker holds some
    with engine.connect() as conn:
        workers = [n for n in worker_nodes(conn) if not n.is_coordinator]
        placed = {lab.slug: tenant_node(conn, lab.schema_name).id for lab in labs}
    assert len(set(placed.values())) == 2, placed  # both workers hold labs

    shards_tried = 0
    for worker in workers:
        url = make_url(database_url).set(drivername="postgresql", host=worker.host, port=worker.port)
        url = url.render_as_string(hide_password=False)
        here = [lab for lab in labs if placed[lab.slug] == worker.id]
        a = labs[0]
        with _as_role(url, a.role_name) as conn:
            for b in labs[1:]:
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for schema"):
                    conn.execute(sql.SQL("SELECT * FROM {}.members").format(sql.Identifier(b.schema_name)))
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for schema platform"):
                conn.execute("SELECT * FROM platform.tenants")
            # The shards themselves (members_102008 …) sit in the lab's schema on its worker.
            for b in here:
                if b is a:
                    continue
                shards = conn.execute(
                    "SELECT relname FROM pg_class WHERE relnamespace = to_regnamespace(%s) AND relname LIKE 'members\\_%%'",
                    (b.schema_name,),
                ).fetchall()
                for (shard,) in shards:
                    shards_tried += 1
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        conn.execute(sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(b.schema_name), sql.Identifier(shard)))
    assert shards_tried > 0  # some other lab's shards sat beside lab A's or on the other worker
