"""The embedded PostgreSQL (pgserver, data in var/pg) used when DATABASE_URL is unset."""

from __future__ import annotations

import os
import warnings

from sqlalchemy.engine import make_url

from .config import repository_root

DEV_DATABASE = "wijknet"


def embedded_server_url(database: str = DEV_DATABASE) -> str:
    """Start (or reuse) the embedded server and return a SQLAlchemy URL for `database`.

    The server keeps running after this process ends, so `make run` and later commands
    share it; `var/pg` holds its data.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    root = os.path.join(repository_root(), "var")
    os.makedirs(root, exist_ok=True)
    server = pgserver.get_server(os.path.join(root, "pg"), cleanup_mode=None)
    url = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    ensure_database(url, database)
    return url.set(database=database).render_as_string(hide_password=False)


def ensure_database(server_url, database: str) -> None:
    import psycopg
    from psycopg import sql

    url = make_url(server_url) if isinstance(server_url, str) else server_url
    conninfo = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def resolve_database_url(configured: str | None) -> str:
    if configured:
        url = make_url(configured)
        if url.drivername in {"postgresql", "postgres"}:
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return embedded_server_url()
