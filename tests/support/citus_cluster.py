"""A local Citus cluster for the `-m citus` tier: a coordinator and two workers on loopback,
started from the PostgreSQL 15 binaries and the `citus` extension installed on this machine
(this script installs nothing and builds nothing).

    python tests/support/citus_cluster.py start    # prints the coordinator's URL
    python tests/support/citus_cluster.py stop     # stops the three nodes it started
    python tests/support/citus_cluster.py available  # exit 0 when citus is installed

Data lives in var/citus/<node> (as root: in the temporary directory); the nodes listen on free ports on 127.0.0.1 with trust
authentication (a test cluster; docs/decisions/0006 has the rules for a real one). Running as
root, the nodes run as the `postgres` user, as PostgreSQL refuses root. `stop` stops each
node through its own data directory (`pg_ctl stop -D`), never by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATE = REPO / "var" / "citus" / "cluster.json"
# The nodes' data: in var/citus, or, run as root, in /tmp (the `postgres` user the nodes run
# as may not be able to reach a checkout in a private directory).
HOME = (
    Path(tempfile.gettempdir()) / f"wijknet-citus-{hashlib.sha1(str(REPO).encode()).hexdigest()[:10]}"
    if os.geteuid() == 0
    else REPO / "var" / "citus"
)
NODES = ("coordinator", "worker1", "worker2")


def pg_bin() -> Path:
    configured = os.environ.get("WIJKNET_CITUS_PG_BIN")
    if configured:
        return Path(configured)
    try:
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        found = ""
    return Path(found or "/usr/lib/postgresql/15/bin")


def citus_installed() -> bool:
    """The extension's library and control file are where this PostgreSQL looks for them."""
    try:
        out = subprocess.run(["pg_config", "--pkglibdir", "--sharedir"], capture_output=True, text=True, check=False)
    except OSError:  # no pg_config: no server development files, so no extension built here either
        return False
    if out.returncode != 0:
        return False
    libdir, sharedir = out.stdout.split()
    return (Path(libdir) / "citus.so").exists() and (Path(sharedir) / "extension" / "citus.control").exists()


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")


def _conf(port: int, socket_dir: Path) -> str:
    return "\n".join(
        [
            "shared_preload_libraries = 'citus'",
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            f"unix_socket_directories = '{socket_dir}'",
            "max_connections = 400",
            "shared_buffers = 64MB",
            "fsync = off",  # a test cluster: its data is made again each run
            "synchronous_commit = off",
            "full_page_writes = off",
            "wal_level = logical",  # citus_schema_move's non-blocking mode replicates logically
            "max_replication_slots = 20",
            "max_wal_senders = 20",
            "citus.node_conninfo = 'sslmode=prefer'",
            "log_min_messages = warning",
            "",
        ]
    )


def start() -> dict:
    if not citus_installed():
        raise SystemExit("The citus extension is not installed for this machine's PostgreSQL.")
    if STATE.exists():
        state = json.loads(STATE.read_text())
        if all(_running(node) for node in state["nodes"].values()):
            return state
        stop()
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    _own(HOME)
    STATE.parent.mkdir(parents=True, exist_ok=True)
    binaries = pg_bin()
    ports = _free_ports(len(NODES))
    nodes = {}
    for name, port in zip(NODES, ports, strict=True):
        data = HOME / name
        _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        (data / "postgresql.auto.conf").write_text(_conf(port, data))
        _own(data / "postgresql.auto.conf")
        _run([str(binaries / "pg_ctl"), "start", "-w", "-D", str(data), "-l", str(data / "server.log")])
        nodes[name] = {"port": port, "data": str(data)}
    state = {"nodes": nodes, "bin": str(binaries), "url": f"postgresql://postgres@127.0.0.1:{ports[0]}/postgres"}
    STATE.write_text(json.dumps(state, indent=2))
    return state


def _running(node: dict) -> bool:
    pid_file = Path(node["data"]) / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop() -> None:
    if not STATE.exists():
        return
    state = json.loads(STATE.read_text())
    for node in state["nodes"].values():
        if _running(node):
            subprocess.run(
                _as_postgres([str(Path(state["bin"]) / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", node["data"]]),
                capture_output=True,
                check=False,
            )
    STATE.unlink()


def wait_ready(url: str, seconds: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def register_workers(state: dict) -> None:
    """The coordinator's maintenance database lists the workers (the test suite reads them
    there to make each of its databases a Citus database on every node)."""
    import psycopg

    for node in state["nodes"].values():
        url = f"postgresql://postgres@127.0.0.1:{node['port']}/postgres"
        wait_ready(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
    with psycopg.connect(state["url"], autocommit=True) as conn:
        conn.execute("SELECT citus_set_coordinator_host('127.0.0.1', %s)", (state["nodes"]["coordinator"]["port"],))
        for name, node in state["nodes"].items():
            if name != "coordinator":
                conn.execute("SELECT citus_add_node('127.0.0.1', %s)", (node["port"],))


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "start"
    if command == "available":
        return 0 if citus_installed() else 1
    if command == "start":
        state = start()
        wait_ready(state["url"])
        register_workers(state)
        print(state["url"])
        return 0
    if command == "stop":
        stop()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
