"""Engine, metadata and the two declarative bases: platform tables and tenant tables."""

from __future__ import annotations

import logging
import select as io_select

from sqlalchemy import MetaData, create_engine, event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PLATFORM_SCHEMA = "platform"
log = logging.getLogger(__name__)


class PlatformBase(DeclarativeBase):
    """Tables of the shared `platform` schema (rows of every tenant)."""

    metadata = MetaData(schema=PLATFORM_SCHEMA, naming_convention=NAMING_CONVENTION)


class TenantBase(DeclarativeBase):
    """Tables that live in every tenant schema.

    They carry no schema: the unit of work's search_path picks the tenant's schema, and
    the tenant's database role is the only one (besides the application) allowed in it.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(
    url: str, *, prepared_statements: bool = True, pool_size: int = 10, timeouts_ms: tuple[int, int] | None = None
) -> Engine:
    """`timeouts_ms`: (statement, lock) timeouts for every connection (the web app's: a
    request never waits on the database without end). Not sent through PgBouncer, which
    refuses startup options: there they are set on the database or role."""
    connect_args = {}
    if not prepared_statements:
        # PgBouncer in transaction mode: a prepared statement may land on another server
        # connection, so psycopg must never prepare.
        connect_args["prepare_threshold"] = None
    elif timeouts_ms:
        statement, lock = timeouts_ms
        connect_args["options"] = f"-c statement_timeout={int(statement)} -c lock_timeout={int(lock)}"
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # Bounded connection lifetime: backends of a schema-per-tenant database grow
        # their catalog caches with every schema they touch (SPEC §2.1).
        pool_recycle=900,
        # No ping round trip per checkout: a dead connection is found by looking at its
        # socket (below), and one that dies in use is an error that invalidates the pool.
        pool_pre_ping=False,
        connect_args=connect_args,
    )
    event.listen(engine, "checkout", _refuse_dead_connection)
    event.listen(engine, "checkin", _transactions_back_on)
    from .tenancy.uow import install_switching_cursors

    # The tenant switch travels with a transaction's first statement (tenancy/uow.py): every
    # cursor of the engine's connections carries it; a transaction that ends before any
    # statement (commit, rollback, or back to the pool) leaves none behind.
    event.listen(engine, "connect", install_switching_cursors)
    event.listen(engine, "commit", _no_switch_left)
    event.listen(engine, "rollback", _no_switch_left)
    event.listen(engine, "begin", _driver_transactions_on)
    event.listen(engine, "first_connect", lambda dbapi_connection, _record: _learn_citus(engine, dbapi_connection))
    return engine


def _no_switch_left(conn) -> None:
    if not conn.invalidated and not conn.closed:
        _forget_queued_switch(conn.connection.dbapi_connection)


def _forget_queued_switch(dbapi_connection) -> None:
    """Its transaction ended before it sent a statement: the switch goes with it."""
    if getattr(dbapi_connection, QUEUED_SWITCH, None) is not None:
        setattr(dbapi_connection, QUEUED_SWITCH, None)


def _driver_transactions_on(conn) -> None:
    """A transaction begins on a connection whose driver autocommit an earlier tenant
    transaction's switch turned on (a connection its holder kept, e.g. `engine.connect()`
    around a tenant session and then platform work): transactions on again, or the next
    statements would each commit alone and a failure would undo none of them. A tenant
    session's switch turns it on for its own transaction after this (tenancy/uow.py)."""
    if conn.connection.info.pop(SWITCH_AUTOCOMMIT, None):
        from psycopg.pq import TransactionStatus

        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection.autocommit and dbapi_connection.pgconn.transaction_status == TransactionStatus.IDLE:
            dbapi_connection.autocommit = False


def _learn_citus(engine: Engine, dbapi_connection) -> None:
    """Whether the database is a Citus coordinator, learnt on the pool's first connection
    (tenancy/citus.py `is_citus` reads it; the tenant switch differs there)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        engine._wijknet_citus = bool(cursor.fetchone()[0])  # type: ignore[attr-defined]
    finally:
        cursor.close()
        if not getattr(dbapi_connection, "autocommit", True):
            dbapi_connection.rollback()  # the driver opened a transaction for the question: none is left open


def _refuse_dead_connection(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection whose server went away (killed, restarted) has said so on its
    socket: PostgreSQL sends a FATAL message and closes it, so the idle socket has something
    to read. Seeing that costs a system call, not a round trip (pool_pre_ping's price on
    every request); the pool then connects anew (DisconnectionError: up to three tries)."""
    reason = why_dead(dbapi_connection)
    if reason:
        raise exc.DisconnectionError(reason)


def why_dead(dbapi_connection) -> str | None:
    """Why an idle psycopg connection is dead, or None when it looks alive (one system call)."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return None
    if dbapi_connection.closed or pgconn.socket < 0:
        return "connection closed"
    readable, _, _ = io_select.select([pgconn.socket], [], [], 0)
    if readable:
        return "the server spoke on an idle connection (terminated or restarted)"
    return None


# Marks a pooled connection whose driver autocommit the tenant switch turned on (tenancy/uow.py);
# turned off again when its next transaction begins or when the connection comes back to the pool.
SWITCH_AUTOCOMMIT = "wijknet_switch_autocommit"
# The attribute of a psycopg connection that holds a tenant switch waiting for the
# transaction's first statement (tenancy/uow.py, SwitchingCursor).
QUEUED_SWITCH = "wijknet_queued_switch"


def _transactions_back_on(dbapi_connection, record) -> None:
    """A tenant transaction sends its own BEGIN with the switch (tenancy/uow.py,
    `_begin_and_switch`) and puts the driver in autocommit for that; every connection goes
    back into the pool with psycopg's transactions on again, and as the driver made it: no
    isolation level, read-only or deferrable mode set. (After a connection was used with an
    isolation level, e.g. an export's REPEATABLE READ or an AUTOCOMMIT read, SQLAlchemy sets
    the default level back explicitly, READ COMMITTED; the switch then no longer travels
    with BEGIN on that connection, a round trip more for every tenant transaction until the
    pool recycles it. A plain BEGIN is the server's default, the same level; make_engine
    sets no level of its own.)"""
    record.info.pop(SWITCH_AUTOCOMMIT, None)
    if dbapi_connection is None or not hasattr(dbapi_connection, "pgconn"):
        return
    _forget_queued_switch(dbapi_connection)
    try:
        if dbapi_connection.autocommit:
            dbapi_connection.autocommit = False
        for mode in ("isolation_level", "read_only", "deferrable"):
            if getattr(dbapi_connection, mode) is not None:
                setattr(dbapi_connection, mode, None)
    except Exception:  # noqa: BLE001 - a broken connection: closed, so the next checkout replaces it
        dbapi_connection.close()


# --- one pooled connection per request at a time ------------------------------------------------
# A request that holds a connection and waits for a second can deadlock the pool: with N
# requests each holding one and waiting for another, nobody gets one until the pool's
# timeout (seen as 500s under 50 concurrent bookings on a threaded server). So a request
# gives back what it only read before it takes another (release_request_reads), and the
# guard below counts what a request holds and logs a request that takes a second one (kept
# in SECOND_CONNECTIONS for tests). gunicorn's sync workers serve one request per process,
# so there a pool of 10 + 10 cannot run dry; a threaded server needs this rule.
SECOND_CONNECTIONS: list[str] = []  # "METHOD path" of requests that held two, newest last


def release_read_transaction(session: Session | None) -> None:
    """End `session`'s transaction when it only read, giving its connection back."""
    if session is not None and session.in_transaction() and not session.info.get("wrote"):
        session.commit()


def read_alone(session: Session, statement, params: dict | None = None) -> list:
    """The rows of one reading statement. When `session` has no transaction open (the first
    platform read of an API request: token, holder and membership), the statement is sent
    alone, with the driver in autocommit: one statement reads one snapshot anyway, and the
    BEGIN psycopg would send before it and the COMMIT after it are two round trips of the
    eight such a request made (issue 18). The session's next transaction is an ordinary one,
    also when it keeps the connection (a session bound to one).

    Only for a session whose objects outlive its commits (expire_on_commit off, as the
    request's platform session): another would reload them after the commit."""
    if session.in_transaction() or session.expire_on_commit:
        return session.execute(statement, params).all()
    from psycopg.pq import TransactionStatus

    dbapi = session.connection().connection.dbapi_connection
    pgconn = getattr(dbapi, "pgconn", None)
    alone = pgconn is not None and not dbapi.autocommit and pgconn.transaction_status == TransactionStatus.IDLE
    if alone:
        dbapi.autocommit = True  # psycopg sends no BEGIN before the statement
    try:
        rows = session.execute(statement, params).all()
    finally:
        if alone and not dbapi.closed:
            dbapi.autocommit = False  # what follows on this connection has transactions again
    session.commit()  # sends nothing: the server has no transaction open
    return rows


def release_request_reads() -> None:
    """The request's platform session gives its connection back if it only read."""
    from flask import g, has_request_context

    if has_request_context():
        release_read_transaction(g.get("platform_session"))


def _counted_checkout(_dbapi_connection, record, _proxy) -> None:
    from flask import g, has_request_context, request

    if not has_request_context():
        return
    held = g.setdefault("pooled_connections", [0])  # a mutable counter the checkin reaches
    held[0] += 1
    record.info["request_counter"] = held
    if held[0] > 1:
        SECOND_CONNECTIONS.append(f"{request.method} {request.path}")
        del SECOND_CONNECTIONS[:-100]
        log.warning("%s %s took a second database connection while holding one", request.method, request.path)


def _counted_checkin(_dbapi_connection, record) -> None:
    counter = record.info.pop("request_counter", None) if record is not None else None
    if counter is not None:
        counter[0] -= 1


def guard_connections(engine: Engine) -> None:
    """Count the connections each request holds (see above); once per engine."""
    if not event.contains(engine, "checkout", _counted_checkout):
        event.listen(engine, "checkout", _counted_checkout)
        event.listen(engine, "checkin", _counted_checkin)


def database_name(url: str) -> str:
    return make_url(url).database or "postgres"


def locked(query, **for_update):
    """`query` with FOR UPDATE *and* fresh attributes.

    A read-then-lock must see the row as it is once the lock is held: without
    `populate_existing` SQLAlchemy hands back the object already in the session's identity
    map, with the values read before the lock (the stale read that let one single-use
    invitation be accepted twice). Every "once" rule locks through this."""
    return query.with_for_update(**for_update).execution_options(populate_existing=True)


@event.listens_for(Session, "after_flush")
def _flushed(session, _flush_context) -> None:
    session.info["wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state) -> None:
    # Bulk DML and raw SQL (which may write) count as writes; plain ORM reads do not. A read
    # that locks rows (FOR UPDATE) counts too: its transaction must not be ended early
    # (release_read_transaction) while the lock still guards a "once" rule.
    if state.is_insert or state.is_update or state.is_delete or not (state.is_select or state.is_orm_statement):
        state.session.info["wrote"] = True
    elif getattr(state.statement, "_for_update_arg", None) is not None:
        state.session.info["wrote"] = True


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains `text`": the wildcards % and _ in what people type are
    searched for literally (a search for "50%" finds "50%", not everything)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
