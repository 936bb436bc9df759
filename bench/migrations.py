"""`wijknet db upgrade` over 1,000 tenants: a no-op run (target < 5 s) and a real tenant
migration that adds a column and an index (target < 2 min on 2 cores). Both are timed as
whole commands, Python start-up included."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, bench_database, progress, wijknet  # noqa: E402

from wijknet.platform.db import make_engine  # noqa: E402
from wijknet.platform.tenancy.migrate import tenant_head, upgrade_platform  # noqa: E402
from wijknet.platform.tenancy.names import role_prefix  # noqa: E402
from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant  # noqa: E402

MIGRATIONS = os.path.join(REPO, "migrations")
REVISION = '''"""bench: add a column and an index to members"""
from alembic import op
import sqlalchemy as sa

revision = "tbench1"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("members", sa.Column("bench_note", sa.Text(), nullable=True))
    op.create_index("ix_members_bench_note", "members", ["bench_note"])


def downgrade():
    op.drop_index("ix_members_bench_note", table_name="members")
    op.drop_column("members", "bench_note")
'''


def run(count: int = 1000, jobs: int = 2) -> dict:
    with bench_database("mig") as url:
        engine = make_engine(url)
        upgrade_platform(engine, MIGRATIONS)
        prefix = role_prefix(engine.url.database)
        for i in range(count):
            provision_tenant(
                engine,
                TenantSpec(slug=f"mig-{i:05d}", name=f"Mig {i}"),
                role_prefix=prefix,
                migrations_dir=MIGRATIONS,
                actor="bench",
            )
            if (i + 1) % 50 == 0 or i + 1 == count:
                progress(i + 1, count, "creating tenants")
        engine.dispose()
        env = {"DATABASE_URL": url, "WIJKNET_ENV": "development"}

        start = time.perf_counter()
        noop = wijknet("db", "upgrade", "--jobs", str(jobs), env=env)
        noop_s = time.perf_counter() - start
        assert noop.returncode == 0 and "tenants behind head: 0" in noop.stdout, noop.stdout + noop.stderr

        workdir = tempfile.mkdtemp(prefix="wijknet-bench-")
        try:
            target = os.path.join(workdir, "migrations")
            shutil.copytree(MIGRATIONS, target, ignore=shutil.ignore_patterns("__pycache__"))
            with open(os.path.join(target, "tenant", "versions", "20991231_0000_tbench1_bench.py"), "w") as fh:
                fh.write(REVISION.format(down=tenant_head(MIGRATIONS)))
            start = time.perf_counter()
            real = wijknet("db", "upgrade", "--jobs", str(jobs), env=dict(env, WIJKNET_MIGRATIONS_DIR=target))
            real_s = time.perf_counter() - start
            assert real.returncode == 0 and f"{count} upgraded, 0 failed" in real.stdout, real.stdout + real.stderr
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    result = {"tenants": count, "jobs": jobs, "noop_s": noop_s, "real_s": real_s}
    print(f"db upgrade over {count} tenants: no-op {noop_s:.2f} s; add column + index {real_s:.1f} s with --jobs {jobs}")
    return result


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
