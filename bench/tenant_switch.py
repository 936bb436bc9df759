"""Requests per second of a tenant page with and without the tenant switch, under gunicorn
(target: overhead under 15 %). Load from wrk on loopback, bounded in time."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, bench_database, wijknet  # noqa: E402

DURATION = int(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "12"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "2"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wrk(url: str, headers: dict | None = None) -> float:
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", f"{DURATION}s", *extra, url], capture_output=True, text=True, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} failed responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _gunicorn(workers: int, env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            os.path.join(REPO, "bench"),
            "--log-level",
            "warning",
            "switch_app:app",
        ],
        env=dict(os.environ, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, base


def _fetch(url: str, headers: dict) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        assert response.status == 200
        return response.read()


def _overhead(rounds: list[tuple[float, float]]) -> dict:
    return {
        "with_switch_rps": statistics.median(r[0] for r in rounds),
        "without_switch_rps": statistics.median(r[1] for r in rounds),
        "overhead_pct": statistics.median((r[1] - r[0]) / r[1] * 100 for r in rounds),
        "per_round": [round((r[1] - r[0]) / r[1] * 100, 1) for r in rounds],
    }


def _in_process(env: dict, page: tuple[str, dict]) -> dict:
    """bench/switch_in_process.py in a process of its own (it turns the switch off and on)."""
    path, headers = page
    token = headers["Authorization"].removeprefix("Bearer ")
    done = subprocess.run(
        [sys.executable, os.path.join(REPO, "bench", "switch_in_process.py")],
        env=dict(os.environ, **env, BENCH_PATH=path, BENCH_TOKEN=token),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"switch_in_process.py failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(workers: int = 2) -> dict:
    """Two gunicorns side by side, one with the switch and one without (switch_app.py);
    wrk alternates between them, round by round, on the tenant home page and on the light
    JSON endpoint (GET /t/<slug>/api/v1/members with a token)."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with bench_database("switch") as url:
        env = {"DATABASE_URL": url, "WIJKNET_ENV": "development", "WIJKNET_TENANT_CACHE_SECONDS": "30"}
        assert wijknet("db", "upgrade", env=env).returncode == 0
        assert wijknet("demo", "seed", env=env).returncode == 0
        made = wijknet("tokens", "create", "--email", "gerda@tarwewijk.example", "--tenant", "tarwewijk", env=env)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip()
        switched, switched_url = _gunicorn(workers, env)
        plain, plain_url = _gunicorn(workers, dict(env, BENCH_WITHOUT_SWITCH="1"))
        pages = {"home": ("/t/tarwewijk/", {}), "json": ("/t/tarwewijk/api/v1/members", {"Authorization": f"Bearer {token}"})}
        results = {}
        try:
            for name, (path, headers) in pages.items():
                same = [_fetch(base + path, headers) for base in (switched_url, plain_url)]
                assert same[0] == same[1] or name == "home", "the two apps must answer alike"
                _wrk(switched_url + path, headers), _wrk(plain_url + path, headers)  # warm up both
                # Alternate the two apps so drift on the shared cores hits both alike.
                rounds = [(_wrk(switched_url + path, headers), _wrk(plain_url + path, headers)) for _ in range(ROUNDS)]
                results[name] = _overhead(rounds)
        finally:
            for proc in (switched, plain):
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)
        results["json_in_process"] = _in_process(env, pages["json"])
    result = {"workers": workers, "seconds": DURATION, "rounds": ROUNDS, **results}
    for name, label in (("home", "tenant home page"), ("json", "JSON endpoint (members)")):
        r = results[name]
        print(
            f"{label} under gunicorn ({workers} workers): {r['with_switch_rps']:.0f} req/s with the switch,"
            f" {r['without_switch_rps']:.0f} without: overhead {r['overhead_pct']:.1f} % (median of {ROUNDS} rounds:"
            f" {r['per_round']})"
        )
    r = results["json_in_process"]
    print(
        f"JSON endpoint (members) in one process, {r['pairs']} pairs of {r['block']} requests with and without the"
        f" switch: overhead {r['share_pct']:.1f} % (quartiles {r['quartiles'][0]} to {r['quartiles'][1]} %)"
    )
    return result


if __name__ == "__main__":
    run()
