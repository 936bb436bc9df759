"""`make bench-peers`: wijknet and django-tenants side by side on one PostgreSQL server.

The peer (bench/peers/django_tenants, in its own virtualenv var/peers) provisions the same
tenant schema as ours at head and serves the same JSON read endpoint. Every figure is taken
in rounds that alternate the two sides (BENCH_ROUNDS, at least 3), so drift on the shared
cores hits both alike; min / median / max per side and the ratio of the medians are printed
and written into docs/performance.md (between the peers markers).

    BENCH_ROUNDS=3 BENCH_PEER_TENANTS=200 BENCH_SECONDS=5 make bench-peers

Figures: provisioning in-process and as a whole command, start-up to a ready app, our
command start-up, a no-op upgrade and an added column + index over BENCH_PEER_TENANTS
tenants, the JSON endpoint under gunicorn (2 workers each, wrk from a separate process),
the tenant switch's share of that endpoint (bench/tenant_switch.py), and what each does
behind PgBouncer in transaction mode with two tenants on one server connection.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import REPO, bench_database, machine, progress, wijknet  # noqa: E402

PEER = os.path.join(HERE, "django_tenants")
PEER_PY = os.path.join(REPO, "var", "peers", "bin", "python")
MIGRATIONS = os.path.join(REPO, "migrations")
ROUNDS = max(3, int(os.environ.get("BENCH_ROUNDS", "3")))
TENANTS = int(os.environ.get("BENCH_PEER_TENANTS", "200"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
WORKERS = 2
CONNECTIONS = 4
DOCS = os.path.join(REPO, "docs", "performance.md")
ADD_COLUMN = "ALTER TABLE members ADD COLUMN {c} text; CREATE INDEX ix_members_{c} ON members ({c})"

OUR_REVISION = '''"""bench: add a column and an index to members"""
from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    for statement in """{sql}""".split("; "):
        op.execute(statement)
'''
PEER_MIGRATION = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("lab", "{down}")]
    operations = [migrations.RunSQL("""{sql}""", reverse_sql=migrations.RunSQL.noop)]
'''


# --- running things ------------------------------------------------------------------------------
def peer(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [PEER_PY, *args],
        cwd=PEER,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="peer.settings", **env),
        capture_output=True,
        text=True,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"peer {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def last_json(done: subprocess.CompletedProcess):
    """The peer's own output (its migrations talk) comes first; our answer is the last line."""
    return json.loads(done.stdout.strip().splitlines()[-1])


def ours(*args: str, env: dict) -> subprocess.CompletedProcess:
    done = wijknet(*args, env=env)
    if done.returncode != 0:
        raise SystemExit(f"wijknet {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(command: list[str], env: dict, cwd: str, probe: str, headers: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [*command[:1], "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", *command[1:]],
        cwd=cwd,
        env=dict(os.environ, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(base + probe, headers=headers), timeout=2) as answer:
                if answer.status == 200:
                    return proc, base
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                stop(proc)
                raise SystemExit(f"{command} did not serve {probe}") from None
            time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wrk(url: str, headers: dict) -> tuple[float, float]:
    """Requests per second and p99 in ms, from wrk (a separate process) on loopback."""
    extra = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if bad := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise SystemExit(f"{url}: {bad.group(1)} failed answers\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# --- the figures ---------------------------------------------------------------------------------
class Figures:
    """name -> {"ours": [...], "peer": [...], "unit": "ms" | "s" | "req/s", "better": "lower" | "higher"}"""

    def __init__(self):
        self.rows: dict[str, dict] = {}

    def add(self, name: str, side: str, values, unit: str, better: str = "lower") -> None:
        row = self.rows.setdefault(name, {"ours": [], "peer": [], "unit": unit, "better": better})
        row[side].extend(values if isinstance(values, list) else [values])

    def summary(self) -> list[dict]:
        out = []
        for name, row in self.rows.items():
            item = {"name": name, "unit": row["unit"], "better": row["better"]}
            for side in ("ours", "peer"):
                if row[side]:
                    item[side] = (min(row[side]), statistics.median(row[side]), max(row[side]))
            if "ours" in item and "peer" in item:
                o, p = item["ours"][1], item["peer"][1]
                item["ratio"] = (p / o) if row["better"] == "lower" else (o / p)  # > 1: we are ahead
            out.append(item)
        return out


def fmt(value: float, unit: str) -> str:
    if unit == "req/s":
        return f"{value:,.0f}"
    if unit == "s":
        return f"{value:.2f}"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def run() -> dict:
    for need, hint in (
        (PEER_PY, "make bench-peers installs the peer in var/peers"),
        (shutil.which("wrk"), "apt-get install wrk"),
    ):
        if not need or not os.path.exists(need):
            raise SystemExit(f"missing: {hint}")
    figures = Figures()
    notes: dict = {}
    with bench_database("peer_ours") as our_url, bench_database("peer_dj") as peer_url:
        our_env = {"DATABASE_URL": our_url, "WIJKNET_ENV": "development", "WIJKNET_TENANT_CACHE_SECONDS": "30"}
        peer_env = {"DATABASE_URL": peer_url}
        ours("db", "upgrade", env=our_env)
        ours("demo", "seed", env=our_env)
        peer("manage.py", "migrate_schemas", "--shared", env=peer_env)
        check_same_schema(our_url, peer_url, our_env, peer_env)

        from wijknet.platform.db import make_engine
        from wijknet.platform.tenancy.names import role_prefix
        from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant

        engine = make_engine(our_url)
        prefix = role_prefix(engine.url.database)

        def provision_ours(slug: str) -> float:
            start = time.perf_counter()
            provision_tenant(
                engine, TenantSpec(slug=slug, name=f"Lab {slug}"), role_prefix=prefix, migrations_dir=MIGRATIONS, actor="bench"
            )
            return (time.perf_counter() - start) * 1000

        provision_ours("warm-up")  # imports and first connections: not part of a provisioning
        for r in range(ROUNDS):
            progress(r, ROUNDS, "provisioning and start-up")
            figures.add(
                "provision, in-process p50 (ms)",
                "ours",
                statistics.median(provision_ours(f"ip-{r}-{i}") for i in range(10)),
                "ms",
            )
            peer_ms = last_json(peer("bench_tools.py", "provision", f"ip{r}_", "10", env=peer_env))
            figures.add("provision, in-process p50 (ms)", "peer", statistics.median(peer_ms), "ms")
            ms = [
                seconds(
                    lambda i=i, r=r: ours("tenants", "create", "--slug", f"cmd-{r}-{i}", "--name", f"Lab {r} {i}", env=our_env)
                )
                * 1000
                for i in range(3)
            ]
            figures.add("provision, whole command p50 (ms)", "ours", statistics.median(ms), "ms")
            ms = [
                seconds(
                    lambda i=i, r=r: peer(
                        "manage.py",
                        "create_tenant",
                        "--schema_name",
                        f"cmd{r}_{i}",
                        "--name",
                        f"Lab {r} {i}",
                        "--domain-domain",
                        f"cmd{r}-{i}.peer.localhost",
                        "--domain-is_primary",
                        "True",
                        "--noinput",
                        env=peer_env,
                    )
                )
                * 1000
                for i in range(3)
            ]
            figures.add("provision, whole command p50 (ms)", "peer", statistics.median(ms), "ms")
            code = "from wijknet.platform.app import create_app; create_app()"
            figures.add(
                "process start-up to a ready app (s)",
                "ours",
                statistics.median(
                    seconds(
                        lambda code=code: subprocess.run(
                            [sys.executable, "-c", code], env=dict(os.environ, **our_env), check=True
                        )
                    )
                    for _ in range(3)
                ),
                "s",
            )
            figures.add(
                "process start-up to a ready app (s)",
                "peer",
                statistics.median(seconds(lambda: peer("bench_tools.py", "ready", env=peer_env)) for _ in range(3)),
                "s",
            )
            figures.add(
                "a wijknet command, start to finish: `tenants list` (s)",
                "ours",
                statistics.median(seconds(lambda: ours("tenants", "list", env=our_env)) for _ in range(3)),
                "s",
            )
        progress(ROUNDS, ROUNDS, "provisioning and start-up")

        # Tenants for the upgrade figures: as many on each side.
        already = 1 + ROUNDS * 13
        for i in range(TENANTS - already):
            provision_ours(f"many-{i}")
            if (i + 1) % 50 == 0:
                progress(i + 1, TENANTS - already, "our tenants")
        peer("bench_tools.py", "provision", "many_", str(TENANTS - already), env=peer_env)
        notes["tenants"] = TENANTS
        upgrades(figures, our_env, peer_env)

        endpoint(figures, notes, our_env, peer_env, engine)
        notes["pgbouncer"] = pgbouncer(our_url, peer_url, our_env, peer_env, engine)
        engine.dispose()

    import tenant_switch

    switch = tenant_switch.run()
    notes["switch"] = switch["json"]
    notes["switch_in_process"] = switch["json_in_process"]
    result = {"figures": figures.summary(), "notes": notes}
    report(result)
    return result


def check_same_schema(our_url: str, peer_url: str, our_env: dict, peer_env: dict) -> None:
    """One tenant on each side: the same tables, columns and indexes (version tables aside)."""
    import psycopg

    ours("tenants", "create", "--slug", "shape", "--name", "Shape", env=our_env)
    peer("bench_tools.py", "provision", "shape_", "1", env=peer_env)
    counts = {}
    for side, url, schema_sql in (
        ("ours", our_url, "SELECT schema_name FROM platform.tenants WHERE slug = 'shape'"),
        ("peer", peer_url, "SELECT 'shape_0'"),
    ):
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
            schema = conn.execute(schema_sql).fetchone()[0]
            skip = ("alembic_version", "django_migrations")
            counts[side] = (
                conn.execute(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND NOT tablename = ANY(%s)", (schema, list(skip))
                ).fetchone()[0],
                conn.execute(
                    "SELECT count(*) FROM information_schema.columns WHERE table_schema = %s AND NOT table_name = ANY(%s)",
                    (schema, list(skip)),
                ).fetchone()[0],
                conn.execute(
                    "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND NOT tablename = ANY(%s)", (schema, list(skip))
                ).fetchone()[0],
            )
    if counts["ours"] != counts["peer"]:
        raise SystemExit(f"the two tenant schemas differ (tables, columns, indexes): {counts}; run make tenant-schema")
    print(
        f"tenant schema on both sides: {counts['ours'][0]} tables, {counts['ours'][1]} columns, {counts['ours'][2]} indexes",
        file=sys.stderr,
    )


def upgrades(figures: Figures, our_env: dict, peer_env: dict) -> None:
    from wijknet.platform.tenancy.migrate import tenant_head

    work = tempfile.mkdtemp(prefix="wijknet-peers-")
    try:
        our_dir = os.path.join(work, "migrations")
        shutil.copytree(MIGRATIONS, our_dir, ignore=shutil.ignore_patterns("__pycache__"))
        peer_dir = os.path.join(work, "bench_lab_migrations")
        shutil.copytree(os.path.join(PEER, "lab", "migrations"), peer_dir, ignore=shutil.ignore_patterns("__pycache__"))
        our_env = dict(our_env, WIJKNET_MIGRATIONS_DIR=our_dir)
        peer_env = dict(peer_env, PEER_LAB_MIGRATIONS=peer_dir, PEER_PROCESSES="2")
        down, peer_down = tenant_head(MIGRATIONS), "0001_initial"
        jobs = [1, os.cpu_count() or 2]
        for r in range(ROUNDS):
            progress(r, ROUNDS, f"upgrades over {TENANTS} tenants")
            figures.add(
                f"no-op upgrade, {TENANTS} tenants (s)",
                "ours",
                seconds(lambda: ours("db", "upgrade", "--jobs", "2", env=our_env)),
                "s",
            )
            figures.add(
                f"no-op upgrade, {TENANTS} tenants (s)",
                "peer",
                seconds(lambda: peer("manage.py", "migrate_schemas", "--executor=multiprocessing", env=peer_env)),
                "s",
            )
            for n in jobs:
                rev = f"tbench{r}j{n}"
                with open(os.path.join(our_dir, "tenant", "versions", f"20991231_{r}{n:03d}_{rev}_bench.py"), "w") as fh:
                    fh.write(OUR_REVISION.format(rev=rev, down=down, sql=ADD_COLUMN.format(c=f"bench_{rev}")))
                down = rev
                took = seconds(lambda n=n: ours("db", "upgrade", "--jobs", str(n), env=our_env))
                figures.add(f"add column + index, {TENANTS} tenants, --jobs {n} (s)", "ours", took, "s")
            name = f"{r + 2:04d}_bench"
            with open(os.path.join(peer_dir, f"{name}.py"), "w") as fh:
                fh.write(PEER_MIGRATION.format(down=peer_down, sql=ADD_COLUMN.format(c=f"bench_peer_{r}")))
            peer_down = name
            took = seconds(lambda: peer("manage.py", "migrate_schemas", "--executor=multiprocessing", env=peer_env))
            for n in jobs:
                figures.add(f"add column + index, {TENANTS} tenants, --jobs {n} (s)", "peer", took, "s")
        progress(ROUNDS, ROUNDS, f"upgrades over {TENANTS} tenants")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _our_members(engine, slug: str) -> int:
    from sqlalchemy import func, select

    from wijknet.platform.tenancy.lookups import TenantDirectory
    from wijknet.platform.tenancy.uow import tenant_unit_of_work
    from wijknet.tenants.core.models import Member

    with tenant_unit_of_work(engine, TenantDirectory(engine, ttl=0).by_slug(slug)) as session:
        return session.scalar(select(func.count()).select_from(Member))


def endpoint(figures: Figures, notes: dict, our_env: dict, peer_env: dict, engine) -> None:
    """GET the lab's members (a page of 10, with the total) with a Bearer token, 2 gunicorn
    workers each, wrk with 1 thread and 4 connections."""
    members = _our_members(engine, "tarwewijk")
    our_token = ours(
        "tokens", "create", "--email", "gerda@tarwewijk.example", "--tenant", "tarwewijk", env=our_env
    ).stdout.strip()
    peer_token = last_json(peer("bench_tools.py", "seed", "ip0_0", str(members), env=peer_env))
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    our_headers = {"Authorization": f"Bearer {our_token}"}
    peer_headers = {"Authorization": f"Bearer {peer_token}", "Host": "ip0-0.peer.localhost"}
    our_path, peer_path = "/t/tarwewijk/api/v1/members", "/api/v1/members"
    our_proc, our_base = serve([gunicorn, "wijknet.platform.app:create_app()"], our_env, REPO, our_path, our_headers)
    peer_gunicorn = os.path.join(os.path.dirname(PEER_PY), "gunicorn")
    env = dict(peer_env, DJANGO_SETTINGS_MODULE="peer.settings")
    try:
        peer_proc, peer_base = serve([peer_gunicorn, "peer.wsgi"], env, PEER, peer_path, peer_headers)
    except BaseException:
        stop(our_proc)
        raise
    try:
        wrk(our_base + our_path, our_headers), wrk(peer_base + peer_path, peer_headers)  # warm both
        for r in range(ROUNDS):
            progress(r, ROUNDS, "JSON endpoint")
            for side, url, headers in (("ours", our_base + our_path, our_headers), ("peer", peer_base + peer_path, peer_headers)):
                rps, p99 = wrk(url, headers)
                figures.add("JSON read endpoint, 2 gunicorn workers (req/s)", side, rps, "req/s", better="higher")
                figures.add("JSON read endpoint, p99 (ms)", side, p99, "ms")
        progress(ROUNDS, ROUNDS, "JSON endpoint")
    finally:
        stop(our_proc)
        stop(peer_proc)
    notes["members"] = members


# --- PgBouncer -----------------------------------------------------------------------------------
def _start_pgbouncer(urls: dict[str, str]) -> tuple[subprocess.Popen, int, str]:
    import pwd

    from sqlalchemy.engine import make_url

    workdir = tempfile.mkdtemp(prefix="wijknet-peers-pgbouncer-")
    os.chmod(workdir, 0o777)
    port = free_port()
    lines = []
    user = "nobody"
    for url in urls.values():
        u = make_url(url)
        socket_dir = u.query.get("host")
        server = f"host={socket_dir}" if socket_dir else f"host={u.host or '127.0.0.1'} port={u.port or 5432}"
        if socket_dir:
            user = pwd.getpwuid(os.stat(socket_dir).st_uid).pw_name
        lines.append(f"{u.database} = {server} dbname={u.database} user={u.username or 'postgres'}")
    ini = os.path.join(workdir, "pgbouncer.ini")
    with open(ini, "w") as fh:
        fh.write(
            "[databases]\n" + "\n".join(lines) + "\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = any\n"
            "pool_mode = transaction\ndefault_pool_size = 1\nmin_pool_size = 0\nreserve_pool_size = 0\n"
            "max_client_conn = 200\nunix_socket_dir =\nserver_reset_query =\n"
            f"logfile = {workdir}/pgbouncer.log\npidfile = {workdir}/pgbouncer.pid\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
    os.chmod(ini, 0o644)
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    command = [binary, "-u", user, ini] if os.geteuid() == 0 else [binary, ini]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port, workdir
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise SystemExit("pgbouncer did not start")


def _alternate(base: str, labs: list[tuple[str, dict, str]], requests: int = 400) -> dict:
    """Two labs asked in turn from 4 threads at once; an answer naming the other lab's people
    is a leak."""
    tally = {"right": 0, "other lab's data": 0, "errors": 0}
    lock = threading.Lock()

    def worker(k: int) -> None:
        for i in range(requests // 4):
            path, headers, own = labs[(i + k) % 2]
            other = labs[(i + k + 1) % 2][2]
            try:
                with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=10) as answer:
                    body = answer.read().decode()
                outcome = "other lab's data" if other in body and own not in body else "right" if own in body else "errors"
            except OSError:
                outcome = "errors"
            with lock:
                tally[outcome] += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally


def pgbouncer(our_url: str, peer_url: str, our_env: dict, peer_env: dict, engine) -> dict:
    """Both apps behind one PgBouncer in transaction mode, one server connection per database,
    two labs each asked in turn."""
    from sqlalchemy.engine import make_url

    proc, port, workdir = _start_pgbouncer({"ours": our_url, "peer": peer_url})
    through = {
        name: f"postgresql+psycopg://{make_url(url).username or 'postgres'}@127.0.0.1:{port}/{make_url(url).database}"
        for name, url in (("ours", our_url), ("peer", peer_url))
    }
    results = {}
    try:
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        tokens = {
            slug: ours("tokens", "create", "--email", "gerda@tarwewijk.example", "--tenant", slug, env=our_env).stdout.strip()
            for slug in ("tarwewijk", "de-werkplaats")
        }
        env = dict(our_env, DATABASE_URL=through["ours"], WIJKNET_PREPARED_STATEMENTS="0")
        labs = [
            ("/t/tarwewijk/api/v1/members", {"Authorization": f"Bearer {tokens['tarwewijk']}"}, "Anouk"),
            ("/t/de-werkplaats/api/v1/members", {"Authorization": f"Bearer {tokens['de-werkplaats']}"}, "Fatima"),
        ]
        app, base = serve([gunicorn, "wijknet.platform.app:create_app()"], env, REPO, labs[0][0], labs[0][1])
        try:
            results["ours"] = _alternate(base, labs)
        finally:
            stop(app)
        second = last_json(peer("bench_tools.py", "seed", "ip0_1", "5", env=peer_env))
        first = last_json(peer("bench_tools.py", "seed", "ip0_2", "5", env=peer_env))
        labs = [
            ("/api/v1/members", {"Authorization": f"Bearer {first}", "Host": "ip0-2.peer.localhost"}, "van ip0_2"),
            ("/api/v1/members", {"Authorization": f"Bearer {second}", "Host": "ip0-1.peer.localhost"}, "van ip0_1"),
        ]
        env = dict(peer_env, DATABASE_URL=through["peer"], PEER_BEHIND_PGBOUNCER="1", DJANGO_SETTINGS_MODULE="peer.settings")
        peer_gunicorn = os.path.join(os.path.dirname(PEER_PY), "gunicorn")
        app, base = serve([peer_gunicorn, "peer.wsgi"], env, PEER, labs[0][0], labs[0][1])
        try:
            results["peer"] = _alternate(base, labs)
        finally:
            stop(app)
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


# --- the report ------------------------------------------------------------------------------------
def versions() -> str:
    peer_versions = subprocess.run(
        [
            PEER_PY,
            "-c",
            "import django, django_tenants, importlib.metadata as m; print(django.get_version(), m.version('django-tenants'))",
        ],
        capture_output=True,
        text=True,
    ).stdout.split()
    import psycopg

    with psycopg.connect(
        os.environ.get("DATABASE_URL", "").replace("postgresql+psycopg", "postgresql") or "dbname=postgres"
    ) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    return f"wijknet (this commit), Django {peer_versions[0]} with django-tenants {peer_versions[1]}, PostgreSQL {server}"


def report(result: dict) -> None:
    rows = []
    for item in result["figures"]:
        cells = []
        for side in ("ours", "peer"):
            if side in item:
                lo, mid, hi = item[side]
                cells.append(f"{fmt(mid, item['unit'])} ({fmt(lo, item['unit'])}–{fmt(hi, item['unit'])})")
            else:
                cells.append("—")
        ratio = item.get("ratio")
        verdict = "—" if ratio is None else (f"{ratio:.2f}× ahead" if ratio >= 1 else f"{1 / ratio:.2f}× behind")
        rows.append(f"| {item['name']} | {cells[0]} | {cells[1]} | {verdict} |")
    notes = result["notes"]
    switch = notes["switch"]
    rows.append(
        f"| tenant switch, share of the JSON endpoint (same app without it) | {switch['overhead_pct']:.1f} % | — | median of rounds {switch['per_round']} |"
    )
    alone = notes["switch_in_process"]
    rows.append(
        f"| tenant switch, share of the JSON endpoint, in one process ({alone['pairs']} pairs of {alone['block']} requests) "
        f"| {alone['share_pct']:.1f} % | — | quartiles {alone['quartiles'][0]} to {alone['quartiles'][1]} % |"
    )
    bouncer = notes["pgbouncer"]
    for side in ("ours", "peer"):
        t = bouncer[side]
        who = "wijknet" if side == "ours" else "django-tenants"
        leaked = t["other lab's data"]
        rows.append(
            f"| behind PgBouncer (transaction mode, 1 server connection, 2 labs in turn, 400 requests): {who} "
            f"| right {t['right']}, other lab's data {leaked}, errors {t['errors']} | | |"
        )
    header = (
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d} by `make bench-peers` on {machine()}; {versions()}. "
        f"Both on the same server, rounds alternating ({ROUNDS}), median (min–max); {notes['tenants']} tenants a side for the "
        f"upgrades; the JSON endpoint lists a lab's {notes['members']} members a page of 10 with a Bearer token, "
        f"{WORKERS} gunicorn sync workers a side, wrk 1 thread × {CONNECTIONS} connections for {SECONDS} s a round. "
        "The peer runs as its documentation advises (persistent connections; its multiprocessing executor with 2 "
        "processes for migrate_schemas).\n\n"
        "| figure | wijknet | django-tenants 4.0.1 | ratio |\n|---|---|---|---|\n"
    )
    table = header + "\n".join(rows) + "\n"
    print(table)
    text = open(DOCS).read()
    start, end = "<!-- peers:start -->", "<!-- peers:end -->"
    if start in text and end in text:
        text = text[: text.index(start) + len(start)] + "\n" + table + text[text.index(end) :]
        with open(DOCS, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    run()
