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

import asyncio
import contextlib
import logging
import signal
import threading
from typing import Any, Iterator

import procrastinate
import psycopg
from procrastinate import PsycopgConnector
from procrastinate.exceptions import ConnectorException
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

JOBS_SCHEMA = "jobs"
MAX_WAIT_SECONDS = 30.0
DATABASE_GONE = (psycopg.OperationalError, psycopg.InterfaceError, ConnectorException, OSError)
log = logging.getLogger("wijknet.worker")

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


class WorkerConnector(PsycopgConnector):
    """The worker's own connector; a job that defers another job (e.g. an email) does so
    on its own session's connection, through `InTransactionConnector`, like a request does."""

    def get_sync_connector(self) -> InTransactionConnector:
        return _IN_TRANSACTION


_IN_TRANSACTION = InTransactionConnector()


class ModuleTasksApp(procrastinate.App):
    """procrastinate's App, finding the tasks of every module through the module registry."""

    def perform_import_paths(self):
        from .modules import all_modules

        self.import_paths = list(
            dict.fromkeys([*PLATFORM_TASKS, *(path for module in all_modules().values() for path in module.tasks)])
        )
        return super().perform_import_paths()


PLATFORM_TASKS = ("wijknet.platform.mail.tasks", "wijknet.platform.tenancy.follow_up")
app = ModuleTasksApp(connector=_IN_TRANSACTION, import_paths=list(PLATFORM_TASKS))


def defer_in(
    session: Session, task: procrastinate.tasks.Task, *, queue: str | None = None, lock: str | None = None, **kwargs
) -> int:
    """Defer `task(**kwargs)` in the session's current transaction; returns the job id.

    Jobs with the same `lock` run one after the other, never at the same time."""
    connection = session.connection().connection.driver_connection
    options = {"connection": connection}
    if queue:
        options["queue"] = queue
    if lock:
        options["lock"] = lock
    return task.configure(**options).defer(**kwargs)


def worker_conninfo(database_url: str) -> str:
    """A libpq connection string for the worker (procrastinate speaks psycopg directly)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def run_worker(
    database_url: str,
    *,
    queues: list[str] | None = None,
    until_empty: bool = False,
    concurrency: int = 1,
    context: dict | None = None,
) -> None:
    """Run the worker in the foreground (until stopped, or until no job is due).

    A database that goes away (a restart, a failover, a killed connection) does not end
    the worker: procrastinate's worker then stops by itself, and this loop starts it
    again, waiting with back-off (1 s doubling to 30 s) while the database is away. Only
    SIGTERM or SIGINT (or, with `until_empty`, an empty queue) end it. Jobs that were
    running are retried by `retry_stalled_jobs` once their worker's heartbeat stops."""
    asyncio.run(_run_worker(database_url, queues=queues, until_empty=until_empty, concurrency=concurrency, context=context or {}))


async def _run_worker(database_url: str, *, queues, until_empty: bool, concurrency: int, context: dict) -> None:
    from procrastinate.worker import Worker

    stop_requested = asyncio.Event()
    running: dict = {}

    def stop() -> None:
        log.info("worker: stop requested; finishing the jobs at hand")
        stop_requested.set()
        if running.get("worker") is not None:
            running["worker"].stop()

    app.perform_import_paths()  # the tasks of every module (procrastinate's own run_worker does this too)
    loop = asyncio.get_running_loop()
    if not until_empty and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
    wait = 1.0
    while not stop_requested.is_set():
        connector = WorkerConnector(
            conninfo=worker_conninfo(database_url),
            kwargs={"options": f"-c search_path={JOBS_SCHEMA}"},
            min_size=1,
            max_size=max(2, concurrency + 1),
        )
        try:
            with app.replace_connector(connector):
                async with app.open_async():
                    running["worker"] = Worker(
                        app=app,
                        queues=queues,
                        wait=not until_empty,
                        concurrency=concurrency,
                        additional_context=context,
                        install_signal_handlers=False,
                        listen_notify=not until_empty,
                    )
                    await running["worker"].run()
                    wait = 1.0
        except DATABASE_GONE as exc:
            log.warning("worker: the database is unavailable (%s); trying again in %.0f s", type(exc).__name__, wait)
        finally:
            running["worker"] = None
        if until_empty:
            # procrastinate stops as soon as one fetch comes back empty, even while a
            # running job is about to defer another (the hourly board job defers one per
            # tenant, and those defer emails): go on until nothing is due.
            if not _jobs_due(database_url, queues):
                return
            continue
        if not stop_requested.is_set():
            # The worker stopped without being asked: a side task (the listener, the
            # heartbeat) lost the database. Start again once it is back.
            log.warning("worker: stopped by itself (the database went away?); starting again in %.0f s", wait)
            try:
                await asyncio.wait_for(stop_requested.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass
            wait = min(wait * 2, MAX_WAIT_SECONDS)


@app.periodic(cron="*/5 * * * *")
@app.task(name="wijknet.retry_stalled_jobs", queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Jobs whose worker died (or lost the database) mid-job are tried again."""
    for job in await context.app.job_manager.get_stalled_jobs():
        await context.app.job_manager.retry_job(job)


@app.periodic(cron="17 3 * * *")
@app.task(name="wijknet.delete_old_jobs", queueing_lock="delete_old_jobs", pass_context=True)
async def delete_old_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Finished jobs are kept a week for inspection, then removed."""
    await context.app.job_manager.delete_old_jobs(nb_hours=7 * 24, include_failed=False)


def _jobs_due(database_url: str, queues: list[str] | None) -> bool:
    import psycopg

    with psycopg.connect(worker_conninfo(database_url)) as conn:
        return conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM {JOBS_SCHEMA}.procrastinate_jobs WHERE status = 'todo'"
            " AND (scheduled_at IS NULL OR scheduled_at <= now()) AND (%(queues)s::text[] IS NULL OR queue_name = ANY(%(queues)s)))",
            {"queues": queues},
        ).fetchone()[0]
