"""Engine, metadata and the two declarative bases: platform tables and tenant tables."""

from __future__ import annotations

from sqlalchemy import MetaData, create_engine, event
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


class PlatformBase(DeclarativeBase):
    """Tables of the shared `platform` schema (rows of every tenant)."""

    metadata = MetaData(schema=PLATFORM_SCHEMA, naming_convention=NAMING_CONVENTION)


class TenantBase(DeclarativeBase):
    """Tables that live in every tenant schema.

    They carry no schema: the unit of work's search_path picks the tenant's schema, and
    the tenant's database role is the only one (besides the application) allowed in it.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, prepared_statements: bool = True, pool_size: int = 10) -> Engine:
    connect_args = {}
    if not prepared_statements:
        # PgBouncer in transaction mode: a prepared statement may land on another server
        # connection, so psycopg must never prepare.
        connect_args["prepare_threshold"] = None
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # Bounded connection lifetime: backends of a schema-per-tenant database grow
        # their catalog caches with every schema they touch (SPEC §2.1).
        pool_recycle=900,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


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
    # Bulk DML and raw SQL (which may write) count as writes; plain ORM reads do not.
    if state.is_insert or state.is_update or state.is_delete or not (state.is_select or state.is_orm_statement):
        state.session.info["wrote"] = True


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains `text`": the wildcards % and _ in what people type are
    searched for literally (a search for "50%" finds "50%", not everything)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
