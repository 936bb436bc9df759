"""The tenant switch's share of a request, measured in one process: blocks of requests to
the same app through Flask's test client, with the switch and without it in turn (the
switch turned off and on between blocks, switch_app.py). No server, no load generator
and no second app share the cores, so the drift that makes the gunicorn figure of
tenant_switch.py swing by tens of percent per round hits both sides of a pair alike.

    DATABASE_URL=... BENCH_PATH=/t/<slug>/api/v1/members BENCH_TOKEN=wkn_... python bench/switch_in_process.py

Prints one JSON line: the median share and its quartiles over the pairs of blocks.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switch_app  # noqa: E402

PAIRS = int(os.environ.get("BENCH_PAIRS", "30"))
BLOCK = int(os.environ.get("BENCH_BLOCK", "200"))


def measure(path: str, headers: dict) -> dict:
    client = switch_app.app.test_client()

    def block() -> float:
        start = time.perf_counter()
        for _ in range(BLOCK):
            answer = client.get(path, headers=headers)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code}")
        return (time.perf_counter() - start) / BLOCK

    for flip in (switch_app.without_switch, switch_app.with_switch):  # warm up both ways
        flip()
        block()
    shares = []
    for _ in range(PAIRS):
        switched = block()
        switch_app.without_switch()
        plain = block()
        switch_app.with_switch()
        shares.append((switched - plain) / switched * 100)
    q1, median, q3 = statistics.quantiles(shares, n=4)
    return {"pairs": PAIRS, "block": BLOCK, "share_pct": statistics.median(shares), "quartiles": [round(q1, 1), round(q3, 1)]}


if __name__ == "__main__":
    token = os.environ["BENCH_TOKEN"]
    print(json.dumps(measure(os.environ["BENCH_PATH"], {"Authorization": f"Bearer {token}"})))
