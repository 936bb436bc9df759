"""The tenant unit of work: one transaction that runs as the tenant's role in its schema.

The switch is transaction-scoped (`set_config(..., true)`, i.e. SET LOCAL) and issued as the
first statement of every transaction. A tenant session's switch waits for the transaction's
first statement and goes out in one message with BEGIN and that statement, which PostgreSQL
runs in that order, stopping at the first error (see `SwitchingCursor`): the switch costs no
round trip of its own. A savepoint rollback cannot undo it
and nothing of it survives the transaction, so it is safe behind PgBouncer in transaction
mode (SPEC §2.1). Isolation rests on PostgreSQL privileges: the tenant role has no right on
any other schema, so even a wrong query cannot read another tenant's rows.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Iterator
from uuid import UUID

import psycopg
from psycopg import pq
from psycopg import sql as pgsql
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..db import QUEUED_SWITCH, SWITCH_AUTOCOMMIT
from .citus import is_citus

# One statement, one round trip, as the transaction's first: platform.enter_tenant
# (platform migration 0012) reads the tenant's role, schema and status from the registry
# (as the application role, before the role changes), so a tenant deleted or suspended a
# moment ago in another process is seen at once, and sets the transaction's role,
# search_path (`pg_temp` last) and read-only state (suspended, or payment overdue for longer
# than the grace period). A function, so PostgreSQL plans its read once per connection. A
# lab it cannot enter (gone, or not in one of `statuses`) is an error, SQLSTATE
# LAB_NOT_OPEN (platform migration 0013): in a message of several statements nothing after
# it runs.
_SWITCH = "SELECT true{citus} FROM platform.enter_tenant(:id, :system, :statuses, :grace) AS entered WHERE entered"
SWITCH_SQL = text(_SWITCH.format(citus=""))
# On Citus the tenant role's connections to the workers are closed when its transaction
# ends: Citus keys them by user, so cached ones would pile up as backends x tenants
# (docs/scale-out.md, connection budget). Set for this transaction only.
CITUS_SWITCH_SQL = text(_SWITCH.format(citus=", set_config('citus.max_cached_conns_per_worker', '0', true)"))
SERVABLE = ("active", "suspended")
LAB_NOT_OPEN = "WN404"
# The same switch with its values written into the text (quoted by psycopg), so it can travel
# with BEGIN as one simple query: the simple protocol takes several statements, but no
# parameters.


def _with_begin(switch) -> pgsql.SQL:
    return pgsql.SQL(
        "BEGIN; "
        + switch.text.replace(":system", "{system}")
        .replace(":grace", "{grace}")
        .replace(":id", "{id}")
        .replace(":statuses", "{statuses}")
    )


SWITCH_WITH_BEGIN = _with_begin(SWITCH_SQL)
CITUS_SWITCH_WITH_BEGIN = _with_begin(CITUS_SWITCH_SQL)


def _refuse_outside_a_transaction(connection: Connection) -> None:
    """The switch holds for its transaction only: on a connection in autocommit (an
    AUTOCOMMIT isolation level asked by its holder) it would hold for nothing, and the next
    statement would run as the application. Fail closed."""
    pgconn = getattr(connection.connection.dbapi_connection, "pgconn", None)
    if pgconn is not None and pgconn.transaction_status != pq.TransactionStatus.INTRANS:
        raise NoTenant("A tenant's statements need a transaction: this connection is in autocommit.")


class NoTenant(RuntimeError):
    """A tenant session was used without a tenant: fail closed."""


class TenantGone(NoTenant):
    """The tenant was deleted (or is being deleted) since it was looked up."""


@dataclass(frozen=True)
class TenantRef:
    """What a request needs to know about its tenant (cached platform lookup)."""

    id: int
    slug: str
    name: str
    type: str
    region: str
    tagline: str
    plan: str
    status: str
    schema_name: str
    role_name: str
    modules: tuple[str, ...] = ()
    # Each module's stored settings, as of the (cached) lookup: {name: {...}}.
    settings: dict = field(default_factory=dict, compare=False, hash=False)
    # Billing: since when payment is overdue (None: it is not), and the grace before read-only.
    overdue_since: datetime | None = None
    grace_days: int = 14
    brand_colour: str | None = None
    logo_key: str | None = None
    welcome_text: str = ""

    @property
    def writable_until(self) -> datetime | None:
        """When an overdue payment makes the lab read-only (None: nothing is overdue)."""
        return None if self.overdue_since is None else self.overdue_since + timedelta(days=self.grace_days)

    @property
    def billing_locked(self) -> bool:
        return self.writable_until is not None and self.writable_until < datetime.now(timezone.utc)

    @property
    def read_only(self) -> bool:
        return self.status != "active" or self.billing_locked


def switch_to_tenant(
    connection: Connection,
    tenant: TenantRef,
    *,
    system: bool = False,
    statuses: tuple[str, ...] = SERVABLE,
    with_first_statement: bool = False,
) -> None:
    """Enter the tenant's role and schema for the rest of this transaction.

    A suspended tenant's transactions are read-only in the database too, not only in views,
    unless `system` (the platform's own upkeep, e.g. copying a membership). Raises
    TenantGone when the registry no longer has the tenant in one of `statuses`.

    `with_first_statement` (a tenant session's transactions): when nothing has been sent on
    the connection yet, the switch is queued on it and goes out with the transaction's first
    statement (`SwitchingCursor`); a tenant that is gone is then refused at that statement,
    which does not run."""
    citus = is_citus(connection.engine)
    query = _switch_with_begin(citus, tenant.id, system, tuple(statuses), tenant.grace_days)
    if with_first_statement and _queue_switch(connection, query, tenant.slug):
        return
    if _takes_begin(connection):
        _begin_and_switch(connection, query, tenant.slug)
        return
    # The plain way: the switch as a statement of the transaction already open.
    params = {"id": tenant.id, "system": system, "statuses": list(statuses), "grace": tenant.grace_days}
    try:
        connection.execute(CITUS_SWITCH_SQL if citus else SWITCH_SQL, params)
    except DBAPIError as error:
        raise _refusal_or(error.orig, tenant.slug) from error
    _refuse_outside_a_transaction(connection)


@lru_cache(maxsize=4096)
def _switch_with_begin(citus: bool, tenant_id: int, system: bool, statuses: tuple[str, ...], grace: int) -> bytes:
    """BEGIN and the switch with its values quoted in (by psycopg): the same bytes for a
    tenant every time, so made once per process, not per transaction."""
    values = {"id": tenant_id, "system": system, "statuses": list(statuses), "grace": grace}
    switch = CITUS_SWITCH_WITH_BEGIN if citus else SWITCH_WITH_BEGIN
    return switch.format(**{name: pgsql.Literal(value) for name, value in values.items()}).as_bytes(None)


def _refusal_or(error: BaseException | None, slug: str) -> BaseException | None:
    """TenantGone for platform.enter_tenant's refusal; any other error as it is."""
    if getattr(error, "sqlstate", None) == LAB_NOT_OPEN:
        return TenantGone(f"Living lab {slug!r} is gone.")
    return error


def _takes_begin(connection: Connection) -> bool:
    """Whether the switch can bring the transaction's BEGIN itself: a psycopg connection on
    which nothing has been sent yet, in the driver's default modes.

    psycopg sends its BEGIN as a round trip of its own before the first statement; for a
    switch that brings its own, the connection is put in autocommit for this transaction,
    so psycopg sends none. Commit and rollback still work: psycopg sends COMMIT or ROLLBACK
    whenever the server is in a transaction (it asks the server, not its flag), and the pool
    turns autocommit off again when the connection comes back (db.py,
    `_transactions_back_on`). Not when a transaction is already open (provisioning's, an
    export's snapshot), when an isolation level or read-only mode was asked of the driver,
    or when the driver's autocommit is someone else's."""
    dbapi = connection.connection.dbapi_connection
    pgconn = getattr(dbapi, "pgconn", None)
    # The driver's autocommit may be ours: a switch already queued in this transaction (an
    # earlier transaction's is undone when the next begins, db._driver_transactions_on).
    autocommit_of_others = dbapi.autocommit and not connection.connection.info.get(SWITCH_AUTOCOMMIT)
    return not (
        pgconn is None
        or autocommit_of_others
        or pgconn.transaction_status != pq.TransactionStatus.IDLE
        or (dbapi.isolation_level, dbapi.read_only, dbapi.deferrable) != (None, None, None)
    )


def _queue_switch(connection: Connection, query: bytes, slug: str) -> bool:
    """Leave the switch (with its BEGIN) on the driver's connection for the transaction's
    first statement, when the connection's cursors are ours to carry it."""
    dbapi = connection.connection.dbapi_connection
    if not issubclass(getattr(dbapi, "cursor_factory", type), SwitchingCursor) or not _takes_begin(connection):
        return False
    _switch_brings_begin(connection)
    setattr(dbapi, QUEUED_SWITCH, (query, slug))
    return True


def _switch_brings_begin(connection: Connection) -> None:
    """The driver in autocommit for this transaction, marked as the switch's (so psycopg
    sends no BEGIN of its own; db.py turns it off again, see `_takes_begin`)."""
    connection.connection.dbapi_connection.autocommit = True
    connection.connection.info[SWITCH_AUTOCOMMIT] = True


def _begin_and_switch(connection: Connection, query: bytes, slug: str) -> None:
    """Open the transaction and switch, in one round trip of their own."""
    dbapi = connection.connection.dbapi_connection
    _take_queued_switch(dbapi)  # this one replaces a switch still waiting for its statement
    _switch_brings_begin(connection)
    try:
        _send_switch(dbapi, query, slug)
    except psycopg.Error as error:
        # What SQLAlchemy does for the statements it sends: a connection found dead is
        # invalidated (the pool replaces it) and the error is raised as SQLAlchemy's, so
        # the request's handlers see a database that went away (503), not a bug (500).
        gone = connection.dialect.is_disconnect(error, dbapi, None)
        if gone:
            connection.invalidate(error)
        raise DBAPIError.instance(query.decode(), None, error, psycopg.Error, connection_invalidated=gone) from error


def _send_switch(dbapi: psycopg.Connection, query: bytes, slug: str) -> None:
    """BEGIN and the switch, alone (a psycopg error other than the refusal is raised as is)."""
    with psycopg.Cursor(dbapi) as cursor:
        try:
            cursor.execute(query, prepare=False)
        except psycopg.Error as error:
            raise _refusal_or(error, slug) from None
        cursor.nextset()
        if cursor.fetchone() is None:  # pragma: no cover - the function refuses with an error since 0013
            raise TenantGone(f"Living lab {slug!r} is gone.")


def _take_queued_switch(dbapi: psycopg.Connection) -> tuple[bytes, str] | None:
    queued = getattr(dbapi, QUEUED_SWITCH, None)
    if queued is not None:
        setattr(dbapi, QUEUED_SWITCH, None)
    return queued


class SwitchingCursor(psycopg.Cursor):
    """psycopg's cursor, for every connection of the app's engines (db.make_engine): the
    first statement of a tenant transaction carries the switch queued on its connection.

    BEGIN, the switch and the statement go out as one message (the simple protocol, the
    statement's values quoted in by psycopg, as its ClientCursor does); PostgreSQL runs them
    in order and stops at the first error, so the statement never runs unless the switch
    did. Whatever reaches the driver first (SQLAlchemy, procrastinate deferring a job, a
    cursor of our own) goes after the switch: nothing of a tenant transaction runs as the
    application. What cannot share the message (binary results, many parameter sets,
    COPY, a stream, a named cursor, a value whose type its text would not keep) has the
    switch sent alone first."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        dbapi = self.connection
        queued = getattr(dbapi, QUEUED_SWITCH, None)
        if queued is None:
            return super().execute(query, params, prepare=prepare, binary=binary)
        if binary or not _quoted_as_bound(params):
            self._switch_first()
            return super().execute(query, params, prepare=prepare, binary=binary)
        statement = _statement_bytes(dbapi, query, params)  # may refuse a value: nothing sent yet
        switch, slug = queued
        setattr(dbapi, QUEUED_SWITCH, None)
        try:
            super().execute(switch + b"; " + statement, prepare=False)
            self.nextset()  # from BEGIN's answer to the switch's (in pipeline mode: the answers come here)
            entered = self.fetchone() is not None
        except BaseException as error:
            _queue_again_if_nothing_began(dbapi, queued)
            if isinstance(error, psycopg.Error):
                raise _refusal_or(error, slug) from None
            raise
        if not entered:  # pragma: no cover - the function refuses with an error since 0013
            raise TenantGone(f"Living lab {slug!r} is gone.")
        self.nextset()  # the statement's own answer, as if it had been sent alone
        return self

    def executemany(self, query, params_seq, **options):
        self._switch_first()
        return super().executemany(query, params_seq, **options)

    def stream(self, query, params=None, **options):
        self._switch_first()
        return super().stream(query, params, **options)

    def copy(self, statement, params=None, **options):
        self._switch_first()
        return super().copy(statement, params, **options)

    def _switch_first(self) -> None:
        _send_queued_switch(self.connection)


class SwitchingServerCursor(psycopg.ServerCursor):
    """A named (server-side) cursor of such a connection: the queued switch goes first."""

    def execute(self, query, params=None, *, binary=None, **kwargs):
        _send_queued_switch(self.connection)
        return super().execute(query, params, binary=binary, **kwargs)


def _send_queued_switch(dbapi: psycopg.Connection) -> None:
    queued = _take_queued_switch(dbapi)
    if queued is not None:
        try:
            _send_switch(dbapi, *queued)
        except BaseException:
            _queue_again_if_nothing_began(dbapi, queued)
            raise


def _queue_again_if_nothing_began(dbapi: psycopg.Connection, queued: tuple[bytes, str]) -> None:
    """A switch that failed before the server began its transaction (e.g. refused by the
    driver in pipeline mode) still waits: the statements that follow must not run without it."""
    if dbapi.pgconn.transaction_status == pq.TransactionStatus.IDLE:  # a closed connection's is UNKNOWN
        setattr(dbapi, QUEUED_SWITCH, queued)


# The kinds of values the first statement carries written into its text (psycopg quotes
# each with its type's cast, a string as an untyped literal as it binds one), each tested to
# come back as the same statement bound by the server returns it
# (tests/platform/tenancy/test_switch_with_first_statement.py). A value of any other kind (a
# list, a psycopg wrapper, an enum) has the switch sent on its own first: a round trip more,
# rather than a quoting nobody checked.
_QUOTED_AS_BOUND = frozenset({str, bytes, int, float, Decimal, bool, type(None), datetime, date, time, timedelta, UUID})


def _quoted_as_bound(params) -> bool:
    values = params.values() if isinstance(params, dict) else (params or ())
    return all(type(value) in _QUOTED_AS_BOUND for value in values)


def _statement_bytes(dbapi: psycopg.Connection, query, params) -> bytes:
    """The statement as psycopg would send it, its values quoted in (none: the text as it is)."""
    if params is not None:
        query = psycopg.ClientCursor(dbapi).mogrify(query, params)
    elif not isinstance(query, (str, bytes)):
        return query.as_bytes(dbapi)  # a psycopg.sql composition
    return query if isinstance(query, bytes) else query.encode(dbapi.info.encoding)


def install_switching_cursors(dbapi_connection, _record=None) -> None:
    """Every cursor of the connection carries a queued tenant switch (db.make_engine)."""
    if isinstance(dbapi_connection, psycopg.Connection):
        dbapi_connection.cursor_factory = SwitchingCursor
        dbapi_connection.server_cursor_factory = SwitchingServerCursor


class TenantSession(Session):
    """An ORM session whose every transaction starts inside the tenant's role and schema."""

    def __init__(self, bind: Engine, tenant: TenantRef, *, system: bool = False, statuses: tuple[str, ...] = SERVABLE, **kw):
        if tenant is None:
            raise NoTenant("A tenant session needs a tenant.")
        super().__init__(bind=bind, **kw)
        self.info["tenant"] = tenant
        self.info["system"] = system
        self.info["statuses"] = statuses


@event.listens_for(TenantSession, "after_begin")
def _enter_tenant(session: Session, transaction, connection: Connection) -> None:
    if transaction.nested:
        return  # a savepoint inside the tenant's transaction: already switched
    tenant = session.info.get("tenant")
    if tenant is None:  # pragma: no cover - guarded by the constructor
        raise NoTenant("A tenant session lost its tenant.")
    switch_to_tenant(
        connection,
        tenant,
        system=session.info.get("system", False),
        statuses=session.info.get("statuses", SERVABLE),
        with_first_statement=True,
    )


@contextmanager
def tenant_unit_of_work(
    engine: Engine, tenant: TenantRef, *, system: bool = False, statuses: tuple[str, ...] = SERVABLE
) -> Iterator[Session]:
    """One transaction for one tenant: commit at the end, roll back on any error. `statuses`:
    the registry states in which the tenant may be entered (provisioning steps: provisioning)."""
    with TenantSession(engine, tenant, system=system, statuses=statuses) as session:
        with session.begin():
            yield session
