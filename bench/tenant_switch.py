"""Requests per second of a tenant page with and without the tenant switch, under gunicorn
(target: overhead under 15 %). Load from wrk on loopback, bounded in time."""

from __future__ import annotations

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


def _wrk(url: str) -> float:
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", f"{DURATION}s", url], capture_output=True, text=True, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} failed responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run(workers: int = 2) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with bench_database("switch") as url:
        env = {"DATABASE_URL": url, "WIJKNET_ENV": "development", "WIJKNET_TENANT_CACHE_SECONDS": "30"}
        assert wijknet("db", "upgrade", env=env).returncode == 0
        assert wijknet("demo", "seed", env=env).returncode == 0
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
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            switched, plain = f"{base}/t/tarwewijk/", f"{base}/bench/no-switch/tarwewijk/"
            for page in (switched, plain):  # same page, same size
                with urllib.request.urlopen(page) as response:
                    assert response.status == 200 and b"Tarwewijk" in response.read()
            _wrk(switched), _wrk(plain)  # warm up both
            # Alternate the two pages so drift on the shared cores hits both alike.
            rounds = [(_wrk(switched), _wrk(plain)) for _ in range(ROUNDS)]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    with_switch = statistics.median(r[0] for r in rounds)
    without = statistics.median(r[1] for r in rounds)
    overhead = statistics.median((r[1] - r[0]) / r[1] * 100 for r in rounds)
    result = {
        "with_switch_rps": with_switch,
        "without_switch_rps": without,
        "overhead_pct": overhead,
        "workers": workers,
        "seconds": DURATION,
        "rounds": ROUNDS,
        "per_round": [round((r[1] - r[0]) / r[1] * 100, 1) for r in rounds],
    }
    print(
        f"tenant page under gunicorn ({workers} workers): {with_switch:.0f} req/s with the switch, {without:.0f} req/s without:"
        f" overhead {overhead:.1f} % (median of {ROUNDS} rounds: {result['per_round']})"
    )
    return result


if __name__ == "__main__":
    run()
