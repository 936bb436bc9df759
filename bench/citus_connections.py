"""The connection budget on Citus (issue 15, F6): worker connections as a function of tenants x
application backends, and what a tenant transaction costs, for Citus's default connection
cache and for ours (a tenant's worker connections closed when its transaction ends).

Needs a Citus coordinator whose maintenance database lists its workers:

    WIJKNET_CITUS_URL=$(.venv/bin/python tests/support/citus_cluster.py start) \\
        .venv/bin/python bench/citus_connections.py --tenants 1000 --backends 8

Each backend is a thread holding one connection of its own to the coordinator (an app
worker's pooled connection), running light tenant transactions (the switch and a count of
the members) on tenants picked at random. Worker connections are counted on the workers
(pg_stat_activity of the bench's database), sampled during the run and after it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import psycopg  # noqa: E402
from common import REPO, percentile, progress  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests.conftest import CITUS_URL, fresh_database  # noqa: E402
from wijknet.platform.db import make_engine  # noqa: E402
from wijknet.platform.tenancy.lookups import tenant_ref  # noqa: E402
from wijknet.platform.tenancy.migrate import upgrade_platform  # noqa: E402
from wijknet.platform.tenancy.models import Tenant  # noqa: E402
from wijknet.platform.tenancy.names import role_prefix  # noqa: E402
from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant  # noqa: E402
from wijknet.platform.tenancy.uow import switch_to_tenant  # noqa: E402

MIGRATIONS = os.path.join(REPO, "migrations")


def _worker_urls(engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeid")).all()
    return [engine.url.set(drivername="postgresql", host=h, port=p).render_as_string(hide_password=False) for h, p in rows]


def _count(workers: list[str], database: str) -> list[int]:
    counts = []
    for url in workers:
        with psycopg.connect(url, autocommit=True) as conn:
            counts.append(
                conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
                    " AND pid <> pg_backend_pid()",
                    (database,),
                ).fetchone()[0]
            )
    return counts


def _run(engine, tenants, workers, database, *, backends: int, seconds: float, cached: bool) -> dict:
    timings: list[float] = []
    errors: list[str] = []
    peak = [0] * len(workers)
    stop = threading.Event()
    lock = threading.Lock()

    def backend(seed: int) -> None:
        pick = random.Random(seed)
        with engine.connect() as conn:
            while not stop.is_set():
                tenant = pick.choice(tenants)
                started = time.perf_counter()
                try:
                    with conn.begin():
                        switch_to_tenant(conn, tenant)
                        if cached:  # Citus's default: one cached connection per worker and user
                            conn.execute(text("SELECT set_config('citus.max_cached_conns_per_worker', '1', true)"))
                        conn.execute(text("SELECT count(*) FROM members")).scalar()
                except Exception as exc:  # noqa: BLE001 - counted and shown
                    errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
                    continue
                with lock:
                    timings.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=backend, args=(i,)) for i in range(backends)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = [max(a, b) for a, b in zip(peak, _count(workers, database), strict=True)]
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    time.sleep(0.5)
    idle = _count(workers, database)
    return {
        "transactions": len(timings),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "p50_ms": percentile(timings, 50) if timings else 0,
        "p95_ms": percentile(timings, 95) if timings else 0,
        "peak_per_worker": peak,
        "idle_after_per_worker": idle,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--backends", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--cached-tenants", type=int, default=40, help="tenants for the run with Citus's default cache")
    args = parser.parse_args()
    if not CITUS_URL:
        sys.exit("Set WIJKNET_CITUS_URL to a Citus coordinator (tests/support/citus_cluster.py start).")
    with fresh_database(CITUS_URL) as url:
        database = url.rsplit("/", 1)[1]
        engine = make_engine(url, pool_size=args.backends + 2)
        upgrade_platform(engine, MIGRATIONS)
        prefix = role_prefix(database)
        started = time.perf_counter()
        for i in range(args.tenants):
            spec = TenantSpec(slug=f"citus-{i:05d}", name=f"Citus {i}", modules=("board",))
            provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS, actor="bench")
            progress(i + 1, args.tenants, "provisioning on Citus")
        per_tenant = (time.perf_counter() - started) / args.tenants * 1000
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            tenants = [tenant_ref(t, ("board",)) for t in session.query(Tenant).order_by(Tenant.id)]
        workers = _worker_urls(engine)
        print(
            f"Citus: {len(workers)} workers, {args.tenants} tenants (provisioning {per_tenant:.0f} ms per tenant), {args.backends} backends"
        )
        ours = _run(engine, tenants, workers, database, backends=args.backends, seconds=args.seconds, cached=False)
        few = tenants[: args.cached_tenants]
        default = _run(engine, few, workers, database, backends=args.backends, seconds=args.seconds, cached=True)
        ours_few = _run(engine, few, workers, database, backends=args.backends, seconds=args.seconds, cached=False)
        engine.dispose()
    rows = [
        (f"ours (closed at transaction end), {args.tenants} tenants", ours),
        (f"ours (closed at transaction end), {args.cached_tenants} tenants", ours_few),
        (f"Citus default (1 cached per worker and tenant role), {args.cached_tenants} tenants", default),
    ]
    print("| setting | transactions | errors | p50 ms | p95 ms | worker connections, peak per worker | idle after |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(
            f"| {name} | {r['transactions']} | {r['errors']} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} |"
            f" {' / '.join(map(str, r['peak_per_worker']))} | {' / '.join(map(str, r['idle_after_per_worker']))} |"
        )
        if r["first_error"]:
            print(f"  first error: {r['first_error']}")


if __name__ == "__main__":
    main()
