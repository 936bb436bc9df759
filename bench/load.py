"""Load and faults (issue 17): a mixed workload over 1,000 labs for five minutes, then the
same workload while the database's connections are killed and PostgreSQL is restarted.

- A PostgreSQL of its own (pgserver, in a temporary folder): the fault phase restarts it,
  which must never touch the machine's shared server.
- 1,000 labs with the board, shared assets and contracts; in each a resident (admin, with an
  API token and a signed session), three posts, a car and a contract.
- gunicorn (one worker per core x 2) serves; an OpenID provider (oidc-provider-mock) signs
  residents in; locust (its own virtualenv, var/locust, made by `make bench`) is the load,
  in a process of its own (bench/locustfile.py): board reads, suggestions and posts, car
  bookings, contract pages, sign-ins.
- Phase 1 (LOAD_SECONDS, default 300): error rate, throughput, p50/p99 per kind; the web
  workers' memory sampled every 10 s, growth after the first minute.
- Phase 2 (FAULT_SECONDS, default 120): every 20 s every connection of the database is
  killed (pg_terminate_backend), and once PostgreSQL is restarted. Answers may be 503 (with
  Retry-After); none may be another 5xx; afterwards the service answers again without a
  restart, and every post the load was told was created (201) is there, and no other.

    make bench-load          # or: .venv/bin/python bench/load.py
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, progress  # noqa: E402

TENANTS = int(os.environ.get("BENCH_TENANTS", "1000"))
USERS = int(os.environ.get("LOAD_USERS", "16"))
LOAD_SECONDS = int(os.environ.get("LOAD_SECONDS", "300"))
FAULT_SECONDS = int(os.environ.get("FAULT_SECONDS", "120"))
LOCUST = os.path.join(REPO, "var", "locust", "bin", "locust")
SECRET = "load-bench-secret-" + "x" * 32
WORKERS = (os.cpu_count() or 2) * 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _private_postgres(folder: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver.get_server(os.path.join(folder, "pg"), cleanup_mode="stop")


def _world(url: str, provider: str) -> list[dict]:
    """Provision the labs and what the load needs in each."""
    from datetime import timedelta

    from flask.sessions import SecureCookieSessionInterface
    from sqlalchemy import select
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import Session

    from wijknet.platform.app import create_app
    from wijknet.platform.db import make_engine
    from wijknet.platform.identity.models import User
    from wijknet.platform.identity.tokens import create_token
    from wijknet.platform.tenancy.lookups import tenant_ref
    from wijknet.platform.tenancy.migrate import upgrade_platform
    from wijknet.platform.tenancy.names import role_prefix
    from wijknet.platform.tenancy.operations import add_member, ensure_user
    from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant
    from wijknet.platform.tenancy.uow import tenant_unit_of_work
    from wijknet.tenants.assets.operations import create_asset
    from wijknet.tenants.board.fixtures import load_fixture
    from wijknet.tenants.board.operations import create_post
    from wijknet.tenants.contracts.operations import create_contract
    from wijknet.tenants.contracts.settings import ContractSettings
    from wijknet.tenants.core.models import Member
    from wijknet.tenants.core.time import tenant_today

    migrations = os.path.join(REPO, "migrations")
    engine = make_engine(url)
    upgrade_platform(engine, migrations)
    prefix = role_prefix(make_url(url).database)
    app = create_app({"WIJKNET_ENV": "development", "DATABASE_URL": url, "SECRET_KEY": SECRET}, engine=engine)
    cookies = SecureCookieSessionInterface().get_signing_serializer(app)
    fixture = load_fixture()
    board = {"categories": ["zorg", "groen", "klussen"], "posts_per_day": 1000, "approval_required": False}
    labs = []
    for i in range(TENANTS):
        tenant = provision_tenant(
            engine,
            TenantSpec(slug=f"lab-{i:04d}", name=f"Lab {i}", modules=("board", "assets", "contracts")),
            role_prefix=prefix,
            migrations_dir=migrations,
            actor="bench",
        )
        email = f"bewoner{i}@load.example"
        with Session(engine) as session, session.begin():
            from wijknet.platform.tenancy.models import ModuleSetting, Tenant

            session.get(ModuleSetting, (tenant.id, "board")).settings = {"posts_per_day": 100}  # the most a lab may allow

            user = ensure_user(session, email, f"Bewoner {i}")
            add_member(session, session.get(Tenant, tenant.id), user, "admin")
            token = create_token(session, tenant_id=tenant.id, user=session.get(User, user.id), name="load")[1]
            generation = session.get(User, user.id).session_generation
            user_id = user.id
        with tenant_unit_of_work(engine, tenant_ref(tenant, ("board", "assets", "contracts"))) as session:
            me = session.scalars(select(Member).where(Member.user_id == user_id)).one()
            posts = []
            for item in fixture[(i * 3) % 60 : (i * 3) % 60 + 3]:
                post = create_post(
                    session,
                    me,
                    board,
                    kind=item["kind"],
                    title=item["title"],
                    body=item["body"],
                    categories=[c for c in item["categories"] if c in board["categories"]] or ["zorg"],
                    organisation=None,
                    area=None,
                    valid_until=tenant_today() + timedelta(days=60),
                )
                posts.append(post.id)
            car = create_asset(session, me, {"kind": "car", "name": "Buurtauto", "price_cents": 400, "price_unit": "hour"})
            contract = create_contract(
                session, me, {"title": "Groenonderhoud", "value_cents": 5_000_000}, ContractSettings().load({})
            )
            labs.append(
                {
                    "slug": tenant.slug,
                    "token": token,
                    "email": email,
                    "cookie": cookies.dumps({"user_id": user_id, "generation": generation}),
                    "posts": posts,
                    "asset": car.id,
                    "contract": contract.id,
                }
            )
        progress(i + 1, TENANTS, "labs")
    engine.dispose()
    return labs


def _worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        except (FileNotFoundError, StopIteration):
            pass
    return total / 1024


def _locust(base: str, seconds: int, folder: str, label: str) -> tuple[dict, dict]:
    """Run locust for `seconds`; (per-kind stats from its CSV, our status tally)."""
    tally = os.path.join(folder, f"tally-{label}.json")
    env = dict(os.environ, LOAD_WORLD=os.path.join(folder, "world.json"), LOAD_TALLY=tally)
    subprocess.run(
        [
            LOCUST,
            "-f",
            os.path.join(REPO, "bench", "locustfile.py"),
            "--headless",
            "-u",
            str(USERS),
            "-r",
            str(USERS),
            "-t",
            f"{seconds}s",
            "--host",
            base,
            "--csv",
            os.path.join(folder, label),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    stats = {}
    with open(os.path.join(folder, f"{label}_stats.csv")) as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = row
    with open(tally) as fh:
        return stats, json.load(fh)


def _faults(server, url: str, seconds: int, log: list) -> None:
    """Kill every connection of the bench database every 20 s; restart PostgreSQL once."""
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    database = make_url(url).database
    started = time.monotonic()
    restarted = False
    while time.monotonic() - started < seconds - 15:
        time.sleep(20)
        elapsed = time.monotonic() - started
        if not restarted and elapsed > seconds / 2:
            from pgserver._commands import pg_ctl

            pg_ctl(
                ["-w", "-m", "fast", "-l", str(server.log), "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60
            )
            restarted = True
            log.append(f"{elapsed:.0f} s: PostgreSQL restarted")
            continue
        with psycopg.connect(conninfo, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchone()[0]
        log.append(f"{elapsed:.0f} s: {killed} connections killed")


def _summary(stats: dict, tally: dict, seconds: int) -> dict:
    total = stats["Aggregated"]
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    return {
        "requests": requests,
        "failures": failures,
        "rps": requests / seconds,
        "p50_ms": float(total["50%"]),
        "p99_ms": float(total["99%"]),
        "statuses": dict(sorted(tally.items())),
    }


def _count_load_posts(url: str) -> int:
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        schemas = [r[0] for r in conn.execute("SELECT schema_name FROM platform.tenants WHERE status = 'active'")]
        return sum(
            conn.execute(f"SELECT count(*) FROM \"{s}\".board_posts WHERE title LIKE 'Load %%'").fetchone()[0] for s in schemas
        )


def run() -> dict:
    if not os.path.exists(LOCUST):
        raise SystemExit("locust is needed in var/locust: make bench-load installs it")
    import logging

    from oidc_provider_mock import User, run_server_in_thread

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the provider's request log

    folder = tempfile.mkdtemp(prefix="wijknet-load-")
    server = _private_postgres(folder)
    try:
        from sqlalchemy.engine import make_url

        from wijknet.platform.devdb import ensure_database

        base_url = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
        ensure_database(base_url, "load")
        url = base_url.set(database="load").render_as_string(hide_password=False)
        people = [
            User(sub=f"bewoner{i}@load.example", claims={"email": f"bewoner{i}@load.example", "email_verified": True})
            for i in range(TENANTS)
        ]
        with run_server_in_thread(port=0, user_claims=people) as provider_server:
            provider = f"http://127.0.0.1:{provider_server.server_port}"
            started = time.perf_counter()
            labs = _world(url, provider)
            print(f"\n{TENANTS} labs made in {time.perf_counter() - started:.0f} s")
            with open(os.path.join(folder, "world.json"), "w") as fh:
                json.dump({"labs": labs}, fh)
            port = _free_port()
            env = dict(
                os.environ,
                DATABASE_URL=url,
                WIJKNET_ENV="development",
                SECRET_KEY=SECRET,
                WIJKNET_TENANT_CACHE_SECONDS="30",
                WIJKNET_LOG_FORMAT="text",
                WIJKNET_LOGIN_LIMIT="100000 per minute",
                WIJKNET_OIDC_PROVIDERS=json.dumps(
                    [
                        {
                            "name": "load",
                            "label": "Load-ID",
                            "issuer": provider,
                            "client_id": "load",
                            "client_secret": "load",
                            "link_verified_email": True,
                        }
                    ]
                ),
            )
            gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
            web = subprocess.Popen(
                [
                    gunicorn,
                    "--workers",
                    str(WORKERS),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--max-requests",
                    "0",
                    "--timeout",
                    "60",
                    "--log-level",
                    "warning",
                    "wijknet.platform.app:create_app()",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(folder, "web.log"), "w"),  # noqa: SIM115 - the server's, until it stops
            )
            base = f"http://127.0.0.1:{port}"
            try:
                for _ in range(100):
                    try:
                        urllib.request.urlopen(f"{base}/healthz")
                        break
                    except OSError:
                        time.sleep(0.2)
                memory, stop = [], threading.Event()

                def sample():
                    while not stop.wait(10):
                        memory.append(_rss_mb(_worker_pids(web.pid)))

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                stats, tally = _locust(base, LOAD_SECONDS, folder, "load")
                stop.set()
                load = _summary(stats, tally, LOAD_SECONDS)
                warm = memory[6] if len(memory) > 6 else memory[0]
                load["memory_mb_after_warmup"], load["memory_mb_end"] = round(warm, 1), round(memory[-1], 1)
                load["memory_growth_pct"] = round(100 * (memory[-1] - warm) / warm, 1)
                load["per_kind"] = {
                    name: {"requests": int(row["Request Count"]), "p50_ms": float(row["50%"]), "p99_ms": float(row["99%"])}
                    for name, row in stats.items()
                    if name != "Aggregated"
                }
                before = _count_load_posts(url)
                log: list[str] = []
                faults = threading.Thread(target=_faults, args=(server, url, FAULT_SECONDS, log))
                faults.start()
                stats, tally = _locust(base, FAULT_SECONDS, folder, "faults")
                faults.join()
                fault = _summary(stats, tally, FAULT_SECONDS)
                fault["events"] = log
                created = sum(n for key, n in tally.items() if key == "board post 201")
                fault["posts_told_created"], fault["posts_found"] = created, _count_load_posts(url) - before
                fault["other_5xx"] = sum(
                    n for key, n in tally.items() if key.split()[-1].startswith("5") and not key.endswith(" 503")
                )
                after = urllib.request.urlopen(f"{base}/readyz").status
                fault["ready_after"] = after
            finally:
                web.send_signal(signal.SIGTERM)
                web.wait(30)
                with open(os.path.join(folder, "web.log")) as fh:  # what the server said of its errors
                    errors = [block for block in fh.read().split("\n\n") if "Traceback" in block or " ERROR " in block]
                for block in errors[:3]:
                    print("web server error:\n" + block[-3000:], file=sys.stderr)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    result = {"tenants": TENANTS, "users": USERS, "workers": WORKERS, "load": load, "faults": fault}
    print(json.dumps(result, indent=2))
    print(
        f"load: {load['requests']} requests in {LOAD_SECONDS} s ({load['rps']:.0f}/s), {load['failures']} failed, "
        f"p50 {load['p50_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms; web workers' memory "
        f"{load['memory_mb_after_warmup']} -> {load['memory_mb_end']} MB ({load['memory_growth_pct']:+.1f} %, target < 10 %)"
    )
    print(
        f"faults: {fault['requests']} requests, {fault['other_5xx']} server errors other than 503; "
        f"posts answered 201: {fault['posts_told_created']}, found: {fault['posts_found']}; /readyz after: {fault['ready_after']}"
    )
    return result


if __name__ == "__main__":
    run()
