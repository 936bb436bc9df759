"""Provisioning time per tenant over 200 tenants (target: p50 < 300 ms, p95 < 1 s)."""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, bench_database, percentile, progress  # noqa: E402

from wijknet.platform.db import make_engine  # noqa: E402
from wijknet.platform.tenancy.migrate import upgrade_platform  # noqa: E402
from wijknet.platform.tenancy.names import role_prefix  # noqa: E402
from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant  # noqa: E402

MIGRATIONS = os.path.join(REPO, "migrations")


def run(count: int = 200) -> dict:
    with bench_database("prov") as url:
        engine = make_engine(url)
        upgrade_platform(engine, MIGRATIONS)
        prefix = role_prefix(engine.url.database)
        timings = []
        for i in range(count):
            spec = TenantSpec(slug=f"bench-{i:05d}", name=f"Bench {i}", modules=("board", "assets"))
            start = time.perf_counter()
            provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS, actor="bench")
            timings.append((time.perf_counter() - start) * 1000)
            progress(i + 1, count, "provisioning")
        engine.dispose()
    result = {"tenants": count, "p50_ms": percentile(timings, 50), "p95_ms": percentile(timings, 95), "max_ms": max(timings)}
    print(
        f"provisioning {count} tenants: p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, max {result['max_ms']:.0f} ms"
    )
    return result


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
