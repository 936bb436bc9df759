"""Isolation behind PgBouncer in transaction mode, one server connection shared by two tenants.

The test starts Debian's pgbouncer itself. It also shows that the setup can leak: a
session-level SET made through one client is seen by the other, which is exactly why the
unit of work only uses transaction-scoped settings.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from wijknet.platform.db import make_engine
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import add_member, ensure_user
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def pgbouncer_url(database_url):
    if not os.path.exists(PGBOUNCER):
        pytest.fail("pgbouncer is not installed: `apt-get install pgbouncer` (.ci/run does this)")
    url = make_url(database_url)
    socket_dir = url.query.get("host")
    server = f"host={socket_dir}" if socket_dir else f"host={url.host or '127.0.0.1'} port={url.port or 5432}"
    workdir = tempfile.mkdtemp(prefix="wijknet-pgbouncer-")
    os.chmod(workdir, 0o777)
    port = _free_port()
    ini = os.path.join(workdir, "pgbouncer.ini")
    with open(ini, "w") as fh:
        fh.write(
            f"[databases]\n{url.database} = {server} dbname={url.database} user={url.username or 'postgres'}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = any\n"
            "pool_mode = transaction\ndefault_pool_size = 1\nmin_pool_size = 0\nreserve_pool_size = 0\n"
            "max_client_conn = 50\nunix_socket_dir =\nserver_reset_query =\n"
            f"logfile = {workdir}/pgbouncer.log\npidfile = {workdir}/pgbouncer.pid\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
    os.chmod(ini, 0o644)
    command = [PGBOUNCER, ini]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        user = pwd.getpwuid(os.stat(socket_dir).st_uid).pw_name if socket_dir else "nobody"
        command = [PGBOUNCER, "-u", user, ini]
    log = open(os.path.join(workdir, "stdout.log"), "w+b")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail("pgbouncer did not start: " + log.read().decode())
            time.sleep(0.05)
    yield f"postgresql+psycopg://{url.username or 'postgres'}@127.0.0.1:{port}/{url.database}"
    proc.terminate()
    proc.wait(5)
    log.close()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def tenants_with_members(make_tenant, engine):
    refs = make_tenant(), make_tenant()
    with Session(engine) as session, session.begin():
        for ref, name in zip(refs, ("ann", "bob"), strict=True):
            add_member(session, session.get(Tenant, ref.id), ensure_user(session, f"{name}@{ref.slug}.example", name), "member")
    return refs


def test_isolation_holds_behind_pgbouncer_with_one_shared_server_connection(pgbouncer_url, tenants_with_members):
    a, b = tenants_with_members
    bouncer = make_engine(pgbouncer_url, prepared_statements=False, pool_size=4)
    try:
        with bouncer.connect() as c1, bouncer.connect() as c2:
            c1.commit(), c2.commit()
            app_role = c1.execute(text("SELECT current_user")).scalar()
            c1.commit()
            # Both clients are served by the one server connection ...
            pid1 = c1.execute(text("SELECT pg_backend_pid()")).scalar()
            c1.commit()
            pid2 = c2.execute(text("SELECT pg_backend_pid()")).scalar()
            c2.commit()
            assert pid1 == pid2
            # ... so a session-level SET would leak from one client to the other:
            c1.exec_driver_sql(f'SET search_path TO "{a.schema_name}"')
            c1.commit()
            assert c2.exec_driver_sql("SHOW search_path").scalar().strip('"') == a.schema_name
            c2.commit()
            c1.exec_driver_sql("RESET search_path")
            c1.commit()

        errors: list[str] = []

        def work(tenant, expected):
            for _ in range(40):
                with tenant_unit_of_work(bouncer, tenant) as session:
                    names = session.scalars(select(Member.display_name)).all()
                    who = session.execute(text("SELECT current_user")).scalar()
                    if names != [expected] or who != tenant.role_name:
                        errors.append(f"{tenant.slug} saw {names} as {who}")
                with bouncer.connect() as conn:
                    state = conn.execute(text("SELECT current_user, current_setting('search_path')")).one()
                    if state != (app_role, '"$user", public'):
                        errors.append(f"setting survived the transaction: {state}")

        threads = [threading.Thread(target=work, args=(a, "ann")), threading.Thread(target=work, args=(b, "bob"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []

        with pytest.raises(Exception, match="permission denied for schema"):
            with tenant_unit_of_work(bouncer, a) as session:
                session.execute(text(f'SELECT * FROM "{b.schema_name}".members'))
    finally:
        bouncer.dispose()
