"""The tenant unit of work: one transaction that runs as the tenant's role in its schema.

The switch is transaction-scoped (`set_config(..., true)`, i.e. SET LOCAL) and issued as the
first statement of every transaction, in one round trip. A savepoint rollback cannot undo it
and nothing of it survives the transaction, so it is safe behind PgBouncer in transaction
mode (SPEC §2.1). Isolation rests on PostgreSQL privileges: the tenant role has no right on
any other schema, so even a wrong query cannot read another tenant's rows.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from .names import quote_ident

SWITCH_SQL = text(
    "SELECT set_config('role', :role, true), set_config('search_path', :search_path, true),"
    " set_config('transaction_read_only', :read_only, true)"
)


class NoTenant(RuntimeError):
    """A tenant session was used without a tenant: fail closed."""


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

    @property
    def read_only(self) -> bool:
        return self.status != "active"


def switch_to_tenant(connection: Connection, tenant: TenantRef) -> None:
    # A suspended tenant's transactions are read-only in the database too, not only in views.
    connection.execute(
        SWITCH_SQL,
        {
            "role": tenant.role_name,
            "search_path": quote_ident(tenant.schema_name),
            "read_only": "on" if tenant.status == "suspended" else "off",
        },
    )


class TenantSession(Session):
    """An ORM session whose every transaction starts inside the tenant's role and schema."""

    def __init__(self, bind: Engine, tenant: TenantRef, **kw):
        if tenant is None:
            raise NoTenant("A tenant session needs a tenant.")
        super().__init__(bind=bind, **kw)
        self.info["tenant"] = tenant


@event.listens_for(TenantSession, "after_begin")
def _enter_tenant(session: Session, transaction, connection: Connection) -> None:
    tenant = session.info.get("tenant")
    if tenant is None:  # pragma: no cover - guarded by the constructor
        raise NoTenant("A tenant session lost its tenant.")
    switch_to_tenant(connection, tenant)


@contextmanager
def tenant_unit_of_work(engine: Engine, tenant: TenantRef) -> Iterator[Session]:
    """One transaction for one tenant: commit at the end, roll back on any error."""
    with TenantSession(engine, tenant) as session:
        with session.begin():
            yield session
