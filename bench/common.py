"""Shared helpers for the benchmarks: a throw-away database and its engine."""

from __future__ import annotations

import os
import platform
import secrets
import statistics
import subprocess
import sys
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))


def server_url() -> str:
    from wijknet.platform.devdb import embedded_server_url

    configured = os.environ.get("DATABASE_URL")
    if configured:
        return make_url(configured).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return embedded_server_url("postgres")


@contextmanager
def bench_database(label: str):
    """A fresh database (and its tenant roles) that is dropped afterwards."""
    base = server_url()
    name = f"wijknet_bench_{label}_{secrets.token_hex(3)}"
    admin = make_url(base).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for (role,) in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (name + "\\_t\\_%",)).fetchall():
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values):
    return statistics.median(values)


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    server = "embedded pgserver" if not os.environ.get("DATABASE_URL") else "DATABASE_URL server"
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL via {server}"


def wijknet(*args: str, env: dict) -> subprocess.CompletedProcess:
    exe = os.path.join(os.path.dirname(sys.executable), "wijknet")
    return subprocess.run([exe, *args], env=dict(os.environ, **env), capture_output=True, text=True)


def progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
