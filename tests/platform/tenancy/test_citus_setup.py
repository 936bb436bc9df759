"""Citus only: the set-up of docs/scale-out.md, followed as written, with an application role
that is not a superuser (issue 15, F3): `db upgrade`, `tenants create`, a page."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.conftest import CITUS_URL, clean_env, fresh_database

pytestmark = [pytest.mark.citus_only, pytest.mark.tenancy]


def test_the_documented_non_superuser_application_role_provisions_on_citus(environ):
    exe = os.path.join(os.path.dirname(sys.executable), "wijknet")
    app_role = None
    try:
        with fresh_database(CITUS_URL) as url:  # a Citus database on all nodes, as the set-up's SQL makes it
            database = make_url(url).database
            app_role = f"{database}_app"
            superuser = make_url(url).set(drivername="postgresql")
            with psycopg.connect(superuser.render_as_string(hide_password=False), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(app_role)))
                conn.execute(
                    sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(sql.Identifier(database), sql.Identifier(app_role))
                )
                assert not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone()[0]
            as_app = superuser.set(username=app_role).render_as_string(hide_password=False)
            env = clean_env(dict(environ, DATABASE_URL=as_app))

            def run(*args):
                return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=300)

            upgraded = run("db", "upgrade")
            assert upgraded.returncode == 0, upgraded.stderr
            assert "Citus 13." in upgraded.stdout
            created = run("tenants", "create", "--slug", "citus-setup", "--name", "Citus set-up", "--modules", "board,ledger")
            assert created.returncode == 0, created.stderr
            assert "on Citus: a distributed schema, placed on worker 127.0.0.1:" in created.stdout
            listed = run("tenants", "list")
            assert "citus-setup" in listed.stdout and "active" in listed.stdout
    finally:
        if app_role:  # after its database (and the tenant roles granted to it) are gone
            for node in _all_nodes():
                with psycopg.connect(node, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(app_role)))


def _all_nodes() -> list[str]:
    maintenance = make_url(CITUS_URL).set(drivername="postgresql")
    with psycopg.connect(maintenance.render_as_string(hide_password=False), autocommit=True) as conn:
        rows = conn.execute("SELECT nodename, nodeport FROM pg_dist_node").fetchall()
    return [maintenance.set(host=h, port=p).render_as_string(hide_password=False) for h, p in rows]
