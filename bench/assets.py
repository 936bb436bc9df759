"""Shared assets at size (issue 13), through HTTP against gunicorn:

- booking requests per second on one asset-rich lab (target 200/s), many clients at once,
  a good share of them overlapping on purpose; afterwards the database is asked whether any
  two live bookings of one asset overlap (target: none);
- availability of one asset for a month with 10,000 bookings on it (target p95 < 20 ms)."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, bench_database, percentile, progress  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from wijknet.platform.db import make_engine  # noqa: E402
from wijknet.platform.identity.models import User  # noqa: E402
from wijknet.platform.identity.tokens import create_token  # noqa: E402
from wijknet.platform.tenancy.migrate import upgrade_platform  # noqa: E402
from wijknet.platform.tenancy.models import Tenant  # noqa: E402
from wijknet.platform.tenancy.names import role_prefix  # noqa: E402
from wijknet.platform.tenancy.operations import add_member, ensure_user  # noqa: E402
from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant  # noqa: E402

MIGRATIONS = os.path.join(REPO, "migrations")
ASSETS = int(os.environ.get("BENCH_ASSETS", "50"))
BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "10000"))  # on the one asset whose calendar is read
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
BOOKING_REQUESTS = int(os.environ.get("BENCH_BOOKING_REQUESTS", "3000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, headers: dict, body: dict | None = None) -> tuple[int, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={**headers, "Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    return status, (time.perf_counter() - start) * 1000


def _window(start: datetime) -> str:
    """?from=...&until=... for a month from `start` (UTC, as a calendar app would ask)."""
    end = start + timedelta(days=31)
    return f"from={start.isoformat().replace('+00:00', 'Z')}&until={end.isoformat().replace('+00:00', 'Z')}"


def _seed(engine, schema: str, admin_member: int) -> list[int]:
    with engine.begin() as conn:
        conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
        ids = [
            conn.execute(
                text(
                    "INSERT INTO assets (kind, name, price_cents, price_unit, max_days, created_by)"
                    " VALUES ('car', :name, 450, 'hour', 14, :admin) RETURNING id"
                ),
                {"name": f"Deelauto {i + 1}", "admin": admin_member},
            ).scalar_one()
            for i in range(ASSETS)
        ]
        # 10,000 one-hour bookings on the first asset, every 90 minutes from a year ago on.
        conn.execute(
            text(
                "INSERT INTO asset_bookings (asset_id, member_id, starts_at, ends_at, status)"
                " SELECT :asset, :member, t, t + interval '1 hour', 'approved'"
                " FROM (SELECT date_trunc('hour', now()) - interval '365 days' + n * interval '90 minutes' AS t"
                "       FROM generate_series(0, :n - 1) AS n) AS slots"
            ),
            {"asset": ids[0], "member": admin_member, "n": BOOKINGS},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'VACUUM (ANALYZE) "{schema}".asset_bookings'))
    return ids


def run() -> dict:
    with bench_database("assets") as url:
        engine = make_engine(url)
        upgrade_platform(engine, MIGRATIONS)
        prefix = role_prefix(make_url(url).database)
        lab = provision_tenant(
            engine,
            TenantSpec(slug="deelwijk", name="Deelwijk", plan="netwerk", modules=("assets", "ledger")),
            role_prefix=prefix,
            migrations_dir=MIGRATIONS,
            actor="bench",
        )
        with Session(engine) as session, session.begin():
            tenant = session.get(Tenant, lab.id)
            users = [ensure_user(session, f"buur{i}@bench.example", f"Buur {i}") for i in range(CLIENTS)]
            for i, user in enumerate(users):
                add_member(session, tenant, user, "admin" if i == 0 else "member")
            tokens = [create_token(session, tenant_id=tenant.id, user=session.get(User, u.id), name="bench")[1] for u in users]
        with engine.connect() as conn:
            admin_member = conn.execute(text(f'SELECT min(id) FROM "{lab.schema_name}".members')).scalar_one()
        asset_ids = _seed(engine, lab.schema_name, admin_member)
        print(f"\n{ASSETS} assets, {BOOKINGS} bookings on the first")

        port = _free_port()
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        env = dict(os.environ, DATABASE_URL=url, WIJKNET_ENV="development", WIJKNET_TENANT_CACHE_SECONDS="30")
        server = subprocess.Popen(
            [
                gunicorn,
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "wijknet.platform.app:create_app()",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}/t/deelwijk/api/v1/assets"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            auth = {"Authorization": f"Bearer {tokens[0]}"}
            rng = random.Random(13)
            month_starts = [
                (datetime.now(timezone.utc) - timedelta(days=rng.randrange(0, 300))).replace(microsecond=0)
                for _ in range(REQUESTS)
            ]
            for start in month_starts[:20]:  # warm up the workers
                _call(f"{base}/{asset_ids[0]}/availability?{_window(start)}", auth)
            baseline = [_call(f"http://127.0.0.1:{port}/t/deelwijk/api/v1/me", auth)[1] for _ in range(REQUESTS)]
            availability = []
            for i, start in enumerate(month_starts):
                status, ms = _call(f"{base}/{asset_ids[0]}/availability?{_window(start)}", auth)
                assert status == 200, status
                availability.append(ms)
                progress(i + 1, REQUESTS, "availability")

            # Booking requests from CLIENTS clients at once, on the other assets, in a
            # fortnight of hourly slots: many collide on purpose.
            first = (datetime.now(timezone.utc) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
            jobs = [
                (rng.choice(asset_ids[1:]), first + timedelta(hours=rng.randrange(0, 24 * 14)), rng.choice((1, 2, 3)))
                for _ in range(BOOKING_REQUESTS)
            ]
            statuses, latencies, lock = [], [], threading.Lock()

            def client(n: int) -> None:
                headers = {"Authorization": f"Bearer {tokens[n]}"}
                for asset, start, hours in jobs[n::CLIENTS]:
                    body = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}
                    status, ms = _call(f"{base}/{asset}/bookings", headers, body)
                    with lock:
                        statuses.append(status)
                        latencies.append(ms)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)
        with engine.connect() as conn:
            overlaps = conn.execute(
                text(
                    f'SELECT count(*) FROM "{lab.schema_name}".asset_bookings a JOIN "{lab.schema_name}".asset_bookings b'
                    " ON a.asset_id = b.asset_id AND a.id < b.id"
                    " AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)"
                    " WHERE a.status NOT IN ('cancelled', 'declined') AND b.status NOT IN ('cancelled', 'declined')"
                )
            ).scalar_one()
        engine.dispose()
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    result = {
        "assets": ASSETS,
        "bookings": BOOKINGS,
        "availability_p50_ms": percentile(availability, 50),
        "availability_p95_ms": percentile(availability, 95),
        "baseline_p50_ms": percentile(baseline, 50),
        "booking_requests": len(statuses),
        "booking_rps": len(statuses) / elapsed,
        "booking_p95_ms": percentile(latencies, 95),
        "booking_statuses": counts,
        "overlaps": overlaps,
        "clients": CLIENTS,
        "workers": WORKERS,
    }
    print(
        f"availability for a month, {BOOKINGS} bookings on the asset: p50 {result['availability_p50_ms']:.1f} ms, "
        f"p95 {result['availability_p95_ms']:.1f} ms (target p95 < 20 ms; a token request that reads nothing, /me: "
        f"p50 {result['baseline_p50_ms']:.1f} ms); booking requests: {result['booking_rps']:.0f}/s "
        f"(target 200/s), p95 {result['booking_p95_ms']:.1f} ms, answers {counts}, overlapping live bookings: {overlaps} "
        f"({CLIENTS} clients, {WORKERS} gunicorn workers, through HTTP)"
    )
    return result


if __name__ == "__main__":
    run()
