"""Security review finding 13: the worker survives a PostgreSQL restart and goes on by
itself. The test starts a PostgreSQL server of its own (pgserver, in a temporary folder),
restarts it under a running `wijknet worker`, and stops it at the end."""

import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.db import make_engine
from wijknet.platform.mail.models import DevOutboxMessage
from wijknet.platform.mail.queue import queue_email
from wijknet.platform.tenancy.migrate import upgrade_platform

from ...conftest import MIGRATIONS

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def own_server(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver._commands import pg_ctl

    pgdata = tmp_path / "pg"
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    uri = server.get_uri()
    socket_dir = parse_qs(urlsplit(uri).query)["host"][0]
    start = ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(pgdata / "restart.log"), "start"]
    user = server.system_user

    def restart():
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=user, timeout=30)
        time.sleep(1)
        pg_ctl(start, pgdata=pgdata, user=user, timeout=30)

    yield uri.replace("postgresql://", "postgresql+psycopg://", 1), restart
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=30)


def _delivered(engine, to):
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(DevOutboxMessage).where(DevOutboxMessage.recipient == to))
    except Exception:  # noqa: BLE001 - the server may be coming back
        return 0


def _wait(engine, to, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _delivered(engine, to):
            return True
        time.sleep(0.5)
    return False


def test_the_worker_goes_on_after_the_database_restarts(own_server):
    url, restart = own_server
    engine = make_engine(url, pool_size=2)
    upgrade_platform(engine, MIGRATIONS)
    exe = os.path.join(os.path.dirname(sys.executable), "wijknet")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIJKNET_")}
    env.update(WIJKNET_ENV="test", DATABASE_URL=url, WIJKNET_MAIL_URL="log")
    worker = subprocess.Popen([exe, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with Session(engine) as session, session.begin():
            queue_email(session, to="voor@example.org", subject="Voor", body="Voor de herstart")
        assert _wait(engine, "voor@example.org"), "the worker did not send the first email"
        restart()
        engine.dispose()
        with Session(engine) as session, session.begin():
            queue_email(session, to="na@example.org", subject="Na", body="Na de herstart")
        assert _wait(engine, "na@example.org"), "the worker did not come back after the restart"
        assert worker.poll() is None, "the worker exited"
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=30)
        engine.dispose()
    assert "starting again" in err and "stop requested" in err, err[-2000:]
    assert worker.returncode == 0  # SIGTERM: a clean stop
