"""Run every benchmark, print the figures and write them to docs/performance.md."""

from __future__ import annotations

import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import assets  # noqa: E402
import board  # noqa: E402
import provisioning  # noqa: E402
import tenant_switch  # noqa: E402
from common import REPO, machine  # noqa: E402

import migrations  # noqa: E402


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main() -> None:
    prov = provisioning.run(200)
    mig = migrations.run(1000)
    switch = tenant_switch.run()
    bb = board.run()
    aa = assets.run()
    today = datetime.date.today().isoformat()
    rows = [
        (
            "Provisioning a tenant, 200 tenants",
            "p50 < 300 ms, p95 < 1 s",
            f"p50 {prov['p50_ms']:.0f} ms, p95 {prov['p95_ms']:.0f} ms (max {prov['max_ms']:.0f} ms)",
            verdict(prov["p50_ms"] < 300 and prov["p95_ms"] < 1000),
        ),
        (
            "No-op `wijknet db upgrade`, 1,000 tenants",
            "< 5 s",
            f"{mig['noop_s']:.2f} s (whole command)",
            verdict(mig["noop_s"] < 5),
        ),
        (
            "Tenant migration (add column + index), 1,000 tenants",
            "< 2 min on 2 cores",
            f"{mig['real_s']:.1f} s with `--jobs {mig['jobs']}`",
            verdict(mig["real_s"] < 120),
        ),
        (
            "Tenant switch overhead, tenant home page under gunicorn",
            "< 15 %",
            f"{switch['overhead_pct']:.1f} % ({switch['with_switch_rps']:.0f} vs {switch['without_switch_rps']:.0f} req/s, "
            f"{switch['workers']} workers, wrk 1 thread × 2 connections, median of {switch['rounds']} alternating rounds of {switch['seconds']} s; per round {switch['per_round']})",
            verdict(switch["overhead_pct"] < 15) + " by the median; the spread is wide, see below",
        ),
        (
            "Board: suggestions for a post (API), 100,000 posts, 1,000 tenants",
            "p95 < 30 ms",
            f"p50 {bb['suggestions_p50_ms']:.1f} ms, p95 {bb['suggestions_p95_ms']:.1f} ms ({bb['requests']} requests through HTTP)",
            verdict(bb["suggestions_p95_ms"] < 30),
        ),
        (
            "Board page with a text filter, 100,000 posts, 1,000 tenants",
            "p95 < 50 ms",
            f"p50 {bb['board_p50_ms']:.1f} ms, p95 {bb['board_p95_ms']:.1f} ms ({bb['requests']} requests through HTTP)",
            verdict(bb["board_p95_ms"] < 50),
        ),
        (
            "Shared assets: booking requests on one lab through HTTP, no double booking",
            "200/s, 0 overlaps",
            f"{aa['booking_rps']:.0f}/s ({aa['booking_requests']} requests from {aa['clients']} clients, {aa['workers']} workers; "
            f"answers {aa['booking_statuses']}); overlapping live bookings: {aa['overlaps']}",
            verdict(aa["booking_rps"] >= 200 and aa["overlaps"] == 0),
        ),
        (
            "Shared assets: availability of one asset for a month, 10,000 bookings on it",
            "p95 < 20 ms",
            f"p50 {aa['availability_p50_ms']:.1f} ms, p95 {aa['availability_p95_ms']:.1f} ms (a token request reading nothing: p50 {aa['baseline_p50_ms']:.1f} ms)",
            verdict(aa["availability_p95_ms"] < 20),
        ),
    ]
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    path = os.path.join(REPO, "docs", "performance.md")
    with open(path) as fh:
        text = fh.read()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = (
        f"{start}\nMeasured {today} on {machine()} by `make bench`.\n\n"
        "| what | target | measured | |\n|---|---|---|---|\n" + table + f"\n{end}"
    )
    text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    with open(path, "w") as fh:
        fh.write(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
