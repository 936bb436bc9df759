"""Background jobs with procrastinate, kept in PostgreSQL (schema `jobs`).

A job is deferred on the caller's own database connection, so it is committed or rolled
back with the change that caused it: an email for an invitation exists exactly when the
invitation does (docs/decisions/0002-jobs-in-the-callers-transaction.md).

Inside a tenant's unit of work the connection runs as the tenant's role, which has no
right on the `jobs` schema. For the one statement that defers the job we step out to the
application's role and back (`enqueue_scope`); the statement is procrastinate's own, with
bound parameters, and a rollback to a savepoint restores the tenant role by itself.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import procrastinate
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

JOBS_SCHEMA = "jobs"

_ENTER = (
    "WITH before AS MATERIALIZED (SELECT current_setting('role') AS role, current_setting('search_path') AS path)"
    " SELECT role, path, set_config('role', 'none', true), set_config('search_path', %(schema)s, true) FROM before"
)
_LEAVE = "SELECT set_config('role', %(role)s, true), set_config('search_path', %(path)s, true)"


class JobsOutsideTransaction(RuntimeError):
    """A job was deferred without a connection: it would not share the caller's transaction."""


@contextlib.contextmanager
def enqueue_scope(connection) -> Iterator[None]:
    """Run one statement on `connection` as the application role with `jobs` on the path,
    then give the transaction back its role and search_path."""
    role, path, _, _ = connection.execute(_ENTER, {"schema": JOBS_SCHEMA}).fetchone()
    yield
    connection.execute(_LEAVE, {"role": role, "path": path})


class InTransactionConnector(SyncPsycopgConnector):
    """Defers jobs only on a connection it is given, inside that connection's transaction."""

    def open(self, pool=None) -> None:  # nothing of its own to open
        return None

    def close(self) -> None:
        return None

    def execute_query(self, query, **arguments):
        raise JobsOutsideTransaction("Defer jobs with defer_in(session, task, ...), inside a transaction.")

    execute_query_one = execute_query_all = execute_query

    def execute_query_all_with_connection(self, connection, query, **arguments: Any):
        with enqueue_scope(connection):
            return super().execute_query_all_with_connection(connection, query, **arguments)

    def execute_query_one_with_connection(self, connection, query, **arguments: Any):
        with enqueue_scope(connection):
            return super().execute_query_one_with_connection(connection, query, **arguments)


app = procrastinate.App(connector=InTransactionConnector(), import_paths=["wijknet.platform.mail.tasks"])


def defer_in(session: Session, task: procrastinate.tasks.Task, *, queue: str | None = None, **kwargs) -> int:
    """Defer `task(**kwargs)` in the session's current transaction; returns the job id."""
    connection = session.connection().connection.driver_connection
    options = {"connection": connection}
    if queue:
        options["queue"] = queue
    return task.configure(**options).defer(**kwargs)


def worker_conninfo(database_url: str) -> str:
    """A libpq connection string for the worker (procrastinate speaks psycopg directly)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def run_worker(database_url: str, *, queues: list[str] | None = None, until_empty: bool = False,
               concurrency: int = 1, context: dict | None = None) -> None:
    """Run the worker in the foreground (until stopped, or until no job is due)."""
    from procrastinate import PsycopgConnector

    connector = PsycopgConnector(
        conninfo=worker_conninfo(database_url),
        kwargs={"options": f"-c search_path={JOBS_SCHEMA}"},
        min_size=1, max_size=max(2, concurrency + 1),
    )
    with app.replace_connector(connector):
        app.run_worker(
            queues=queues, wait=not until_empty, concurrency=concurrency,
            additional_context=context or {}, install_signal_handlers=not until_empty,
            listen_notify=not until_empty,
        )
