"""What wijknet does differently on Citus (docs/scale-out.md, docs/decisions/0006).

The same code runs on plain PostgreSQL and on a Citus coordinator; it asks the database
which one it is. On Citus:
- each tenant schema is distributed when it is made (`citus.enable_schema_based_sharding`
  on for that one transaction, never for the database), so its tables live together on
  one worker; `platform` and `jobs` stay local on the coordinator;
- tenant roles may log in, without a password: Citus opens its connections to the workers
  as the current user, which inside a tenant's transaction is the tenant's role;
- a tenant moves between workers with `citus_schema_move`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from ..refusals import DomainError


class CitusError(DomainError):
    """What a Citus-only command refuses, with a stable code."""

    status = 409
    code = "citus"


@dataclass(frozen=True)
class Node:
    id: int
    host: str
    port: int
    is_coordinator: bool

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def citus_version(conn: Connection) -> str | None:
    """The installed Citus extension's version in this database, or None (plain PostgreSQL)."""
    return conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'citus'")).scalar()


def is_citus(engine: Engine) -> bool:
    """Asked once per engine (a database does not become Citus under a running process);
    engines of db.make_engine learn it on their first connection."""
    cached = getattr(engine, "_wijknet_citus", None)
    if cached is None:
        with engine.connect() as conn:
            cached = citus_version(conn) is not None
        engine._wijknet_citus = cached  # type: ignore[attr-defined]
    return cached


def database_level_sharding(conn: Connection) -> bool:
    """Whether schema-based sharding is on for every session of this database: it must not be
    (every later `CREATE SCHEMA`, `platform`'s included, would become a distributed schema)."""
    return conn.execute(text("SELECT current_setting('citus.enable_schema_based_sharding', true)")).scalar() == "on"


def describe_cluster(engine: Engine) -> str | None:
    """What `db upgrade` says of a Citus coordinator (None: plain PostgreSQL). Refuses a
    database where schema-based sharding is on for every session (docs/scale-out.md)."""
    if not is_citus(engine):
        return None
    with engine.connect() as conn:
        version = citus_version(conn)
        if database_level_sharding(conn):
            raise CitusError(
                "citus.enable_schema_based_sharding is on for this database: every new schema, the platform's too, "
                "would be distributed. Turn it off (ALTER DATABASE … RESET citus.enable_schema_based_sharding, and in "
                "postgresql.conf); wijknet turns it on for each living lab's schema itself.",
                code="citus.sharding_on",
            )
        workers = [n for n in worker_nodes(conn) if not n.is_coordinator]
    return f"Citus {version} with {len(workers)} worker(s): each living lab's schema is distributed, platform and jobs stay here"


def worker_nodes(conn: Connection) -> list[Node]:
    rows = conn.execute(
        text(
            "SELECT nodeid, nodename, nodeport, groupid = 0 FROM pg_dist_node"
            " WHERE noderole = 'primary' AND isactive ORDER BY nodeid"
        )
    ).all()
    return [Node(*row) for row in rows]


def tenant_node(conn: Connection, schema: str) -> Node | None:
    """The node holding a distributed tenant schema (None: not distributed)."""
    row = conn.execute(
        text(
            "SELECT n.nodeid, n.nodename, n.nodeport, n.groupid = 0 FROM pg_dist_schema s"
            " JOIN pg_dist_partition d ON d.colocationid = s.colocationid"
            " JOIN pg_dist_shard sh ON sh.logicalrelid = d.logicalrelid"
            " JOIN pg_dist_placement p ON p.shardid = sh.shardid"
            " JOIN pg_dist_node n ON n.groupid = p.groupid AND n.noderole = 'primary'"
            " WHERE s.schemaid = to_regnamespace(:schema) LIMIT 1"
        ),
        {"schema": schema},
    ).first()
    return Node(*row) if row else None


def distribute_schema_step(conn: Connection) -> None:
    """Inside the transaction that creates a tenant's schema: make it a distributed schema."""
    conn.execute(text("SET LOCAL citus.enable_schema_based_sharding = on"))


def allow_tenant_triggers(conn: Connection) -> None:
    """For this transaction: let a tenant's tables have their triggers (the ledger's and the
    asset shares' guards). Citus calls such triggers unsafe because a trigger may reach
    tables on other nodes; ours read only tables of their own schema, which Citus keeps
    together on one node, and run there with the shard they guard."""
    conn.execute(text("SET LOCAL citus.enable_unsafe_triggers = on"))


def move_tenant_schema(engine: Engine, schema: str, to_node: Node, *, mode: str = "auto") -> None:
    """Move a tenant's schema (all its tables, one colocation group) to `to_node`.

    `mode` is citus_schema_move's shard_transfer_mode: `auto` (logical replication when
    every table has a primary key: writes go on during the copy and wait only for the
    switch-over), `force_logical`, or `block_writes`."""
    if mode not in ("auto", "force_logical", "block_writes"):
        raise CitusError(f"Unknown transfer mode {mode!r}.", code="citus.mode")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        current = tenant_node(conn, schema)
        if current is None:
            raise CitusError(f"Schema {schema} is not a distributed schema.", code="citus.not_distributed")
        if current.id == to_node.id:
            return
        conn.execute(
            text("SELECT citus_schema_move(to_regnamespace(:schema), :host, :port, CAST(:mode AS citus.shard_transfer_mode))"),
            {"schema": schema, "host": to_node.host, "port": to_node.port, "mode": mode},
        )


@dataclass(frozen=True)
class Move:
    slug: str
    schema: str
    source: Node
    target: Node
    seconds: float


def find_node(conn: Connection, wanted: str) -> Node:
    """A worker by node id or host:port, as `tenants move --to-node` takes it."""
    nodes = [n for n in worker_nodes(conn) if not n.is_coordinator]
    for node in nodes:
        if wanted in (str(node.id), node.address):
            return node
    known = ", ".join(f"{n.id} ({n.address})" for n in nodes) or "none"
    raise CitusError(f"No worker {wanted!r}; the workers are: {known}.", code="citus.no_such_node")


def move_tenant(engine: Engine, slug: str, to_node: str, *, actor: str, mode: str = "auto") -> Move:
    """Move a living lab to another worker, recorded in the staff audit log. Requests go on
    during the move: its tables are copied while writes continue (logical replication) and
    writes wait only for the short switch-over."""
    import time

    if not is_citus(engine):
        raise CitusError("This database is not a Citus cluster: a living lab has no node to move from.", code="citus.not_citus")
    from sqlalchemy.orm import Session

    from .operations import get_tenant  # TenantActionError for an unknown slug

    with Session(engine) as session:
        tenant = get_tenant(session, slug)
        tenant_id, schema = tenant.id, tenant.schema_name
    with engine.connect() as conn:
        target = find_node(conn, to_node)
        source = tenant_node(conn, schema)
    if source is None:
        raise CitusError(f"{slug}'s schema {schema} is not distributed.", code="citus.not_distributed")
    started = time.monotonic()
    move_tenant_schema(engine, schema, target, mode=mode)
    seconds = time.monotonic() - started
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO platform.staff_audit_log (actor, action, tenant_id, tenant_slug, detail)"
                " VALUES (:actor, 'tenant.moved', :id, :slug, CAST(:detail AS jsonb))"
            ),
            {
                "actor": actor,
                "id": tenant_id,
                "slug": slug,
                "detail": json.dumps({"from": source.address, "to": target.address, "mode": mode}),
            },
        )
    return Move(slug, schema, source, target, seconds)


def labs_per_node(engine: Engine) -> list[tuple[Node, int]]:
    if not is_citus(engine):
        raise CitusError("This database is not a Citus cluster: every living lab is on this one server.", code="citus.not_citus")
    with engine.connect() as conn:
        nodes = [n for n in worker_nodes(conn) if not n.is_coordinator]
        counts = dict(
            conn.execute(
                text(
                    "SELECT p.groupid, count(DISTINCT s.schemaid) FROM pg_dist_schema s"
                    " JOIN pg_dist_partition d ON d.colocationid = s.colocationid"
                    " JOIN pg_dist_shard sh ON sh.logicalrelid = d.logicalrelid"
                    " JOIN pg_dist_placement p ON p.shardid = sh.shardid"
                    " JOIN platform.tenants t ON t.schema_name = s.schemaid::regnamespace::text GROUP BY p.groupid"
                )
            ).all()
        )
        groups = dict(conn.execute(text("SELECT nodeid, groupid FROM pg_dist_node")).all())
    return [(node, counts.get(groups[node.id], 0)) for node in nodes]
