"""Create and drop a tenant: registry row, database role, schema, tables at head, defaults.

Provisioning is a sequence of steps, each one short transaction that checks before it
acts, so a run that dies anywhere is finished by running the same command again. Tables
are created from the models (their script is kept compiled: schema_script.py) and stamped
at head rather than migrated from the first revision (tests/platform/tenancy/test_migrations.py
keeps the two identical).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ..billing.plans import load_plans
from ..db import locked
from ..modules import all_modules, tenant_metadata
from ..refusals import DomainError
from .citus import allow_tenant_triggers, distribute_schema_step, is_citus
from .lookups import tenant_ref
from .migrate import stamp_tenant, tenant_head
from .models import PLANS, TENANT_TYPES, ModuleSetting, StaffAuditEntry, Tenant
from .names import quote_ident, role_name, schema_name, slug_problem
from .schema_script import tenant_ddl_statements, tenant_schema_script
from .starter_kit import StarterKit, apply_starter_kit
from .uow import switch_to_tenant


class ProvisioningError(DomainError):
    """Input that cannot make a tenant; the message is meant for the person who typed it."""

    code = "provisioning"


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    type: str = "other"
    region: str = ""
    tagline: str = ""
    plan: str = "pilot"
    modules: tuple[str, ...] = ("board",)

    def problems(self) -> list[str]:
        return list(self.field_problems().values())

    def field_problems(self) -> dict[str, str]:
        """What is wrong, per field (the staff console shows each under its field)."""
        found = {}
        if problem := slug_problem(self.slug):
            found["slug"] = problem
        if not self.name or not self.name.strip() or len(self.name) > 120:
            found["name"] = "A name is 1 to 120 characters."
        if self.type not in TENANT_TYPES:
            found["type"] = f"Type must be one of: {', '.join(TENANT_TYPES)}."
        if self.plan not in PLANS:
            found["plan"] = f"Plan must be one of: {', '.join(PLANS)}."
        known = all_modules()
        unknown = sorted(set(self.modules) - set(known))
        if unknown:
            found["modules"] = f"Unknown module(s): {', '.join(unknown)}; known: {', '.join(known)}."
        elif self.plan in PLANS:
            plan = load_plans()[self.plan]
            outside = sorted(m for m in self.modules if not plan.allows_module(m))
            if outside:
                found["modules"] = f"The {self.plan} plan does not include: {', '.join(outside)}."
        if len(self.region) > 120:
            found["region"] = "Region is at most 120 characters."
        if len(self.tagline) > 300:
            found["tagline"] = "Tagline is at most 300 characters."
        return found


# Called in the last step before activation with the platform session and the tenant:
# invites the first admin (and queues the email). Returns what to show, or None when it
# was done by an earlier, interrupted run.
FirstAdminStep = Callable[[Session, Tenant], "str | None"]


def provision_tenant(
    engine: Engine,
    spec: TenantSpec,
    *,
    role_prefix: str,
    migrations_dir: str,
    actor: str = "cli",
    first_admin: FirstAdminStep | None = None,
    starter_kit: StarterKit | None = None,
) -> Tenant:
    """Create the tenant described by `spec`, or finish one whose creation was interrupted.
    A starter kit (a model lab's set-up) and the first admin's invitation are done before
    the lab goes live."""
    if problems := spec.problems():
        raise ProvisioningError(" ".join(problems), code="provisioning.invalid")
    tenant_id = _register(engine, spec, role_prefix, actor)
    with engine.connect() as conn:
        tenant = _load(conn, tenant_id)
    citus = is_citus(engine)
    _create_role(engine, tenant.role_name, login=citus)
    _create_schema(engine, tenant, distributed=citus)
    _create_tables(engine, tenant, migrations_dir, citus=citus)
    if starter_kit is not None:
        apply_starter_kit(engine, starter_kit, tenant_id)
    if first_admin is not None:
        _first_admin(engine, tenant_id, first_admin)
    _activate(engine, tenant_id)
    with Session(engine) as session:
        return session.get(Tenant, tenant_id)


def _first_admin(engine: Engine, tenant_id: int, step: FirstAdminStep) -> None:
    """Before activation, so a living lab never goes live without a way in for its admin."""
    with Session(engine) as session, session.begin():
        step(session, session.scalars(locked(select(Tenant).where(Tenant.id == tenant_id))).one())


def _load(conn: Connection, tenant_id: int) -> Tenant:
    with Session(conn) as session:
        tenant = session.get(Tenant, tenant_id)
        session.expunge(tenant)
        return tenant


def _register(engine: Engine, spec: TenantSpec, prefix: str, actor: str) -> int:
    with Session(engine) as session, session.begin():
        existing = session.scalars(locked(select(Tenant).where(Tenant.slug == spec.slug))).one_or_none()
        if existing is not None:
            if existing.status != "provisioning":
                raise ProvisioningError(f"A living lab with slug {spec.slug!r} already exists.", code="provisioning.slug_taken")
            return existing.id  # resume an interrupted run
        tenant = Tenant(
            slug=spec.slug,
            name=spec.name.strip(),
            type=spec.type,
            region=spec.region.strip(),
            tagline=spec.tagline.strip(),
            plan=spec.plan,
            status="provisioning",
            billing_status="trialing",
            trial_ends_at=datetime.now(timezone.utc) + timedelta(days=load_plans()[spec.plan].trial_days),
            # Placeholders until the id is known; names derive from the id only.
            schema_name=f"pending-{spec.slug}",
            role_name=f"pending-{prefix}-{spec.slug}",
        )
        session.add(tenant)
        session.flush()
        tenant.schema_name = schema_name(tenant.id)
        tenant.role_name = role_name(prefix, tenant.id)
        for module in all_modules().values():
            session.add(
                ModuleSetting(
                    tenant_id=tenant.id,
                    module=module.name,
                    enabled=module.name in spec.modules,
                    settings=module.default_settings(),
                )
            )
        session.add(
            StaffAuditEntry(
                actor=actor,
                action="tenant.created",
                tenant_id=tenant.id,
                tenant_slug=tenant.slug,
                detail={"name": tenant.name, "plan": spec.plan, "modules": sorted(spec.modules)},
            )
        )
        return tenant.id


def _create_role(engine: Engine, role: str, *, login: bool) -> None:
    """The tenant's role, with no privilege of its own. NOLOGIN on plain PostgreSQL; on Citus
    it may log in (Citus connects to the workers as the tenant's role) but has no password,
    so only the node-to-node rules of pg_hba.conf let it in (docs/decisions/0006)."""
    can_login = "LOGIN" if login else "NOLOGIN"
    with engine.begin() as conn:
        exists = conn.execute(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            conn.execute(text(f"CREATE ROLE {quote_ident(role)} {can_login}"))
        elif exists[0] != login:
            conn.execute(text(f"ALTER ROLE {quote_ident(role)} {can_login}"))
        is_member = conn.execute(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": role}).scalar()
        if not is_member:
            conn.execute(text(f"GRANT {quote_ident(role)} TO CURRENT_USER"))


def _create_schema(engine: Engine, tenant: Tenant, *, distributed: bool) -> None:
    """The empty schema, owned by the tenant's role: a transaction of its own, committed
    before the tables are made (on Citus the tenant role's own connection to the worker
    must see it; docs/scale-out.md). On Citus it is made a distributed schema here, for
    this transaction only. Made whole or not at all, so a re-run finds it or makes it."""
    with engine.begin() as conn:
        if distributed:
            distribute_schema_step(conn)
        conn.execute(
            text(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(tenant.schema_name)} AUTHORIZATION {quote_ident(tenant.role_name)}")
        )


def _create_tables(engine: Engine, tenant: Tenant, migrations_dir: str, *, citus: bool = False) -> None:
    """Tables, version stamp, registry version and tenant defaults: one transaction, so the
    schema is either empty (a re-run makes it all) or complete with its stamp.

    The registry is written first, as the application role; after the switch everything
    runs as the tenant role. The application role never reads a tenant object (a tenant
    role could have planted code there; docs/security.md)."""
    with engine.begin() as conn:
        done = conn.execute(
            text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f"{quote_ident(tenant.schema_name)}.alembic_version"}
        ).scalar()
        if done:
            return
        conn.execute(
            text("UPDATE platform.tenants SET schema_version = :head WHERE id = :id"),
            {"head": tenant_head(migrations_dir), "id": tenant.id},
        )
        # From here on the tenant role owns what is created.
        switch_to_tenant(conn, tenant_ref(tenant, modules=()), statuses=("provisioning",))
        # Every table and index in one round trip (the simple protocol takes many
        # statements): nothing of the schema can exist yet, this transaction makes it whole.
        # Citus passes a DDL command's text on to the worker as one prepared statement,
        # which takes a single command: there they go one by one.
        with conn.connection.dbapi_connection.cursor() as cursor:
            if not citus:
                cursor.execute(tenant_schema_script(migrations_dir))
            else:
                allow_tenant_triggers(conn)
                for statement in tenant_ddl_statements(tenant_metadata()):
                    cursor.execute(statement, prepare=False)
        stamp_tenant(conn, tenant.schema_name, migrations_dir)
        conn.execute(text("INSERT INTO audit_log (action, detail) VALUES ('tenant.provisioned', '{}'::jsonb)"))


def _activate(engine: Engine, tenant_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE platform.tenants SET status = 'active', updated_at = now() WHERE id = :id AND status = 'provisioning'"),
            {"id": tenant_id},
        )


def drop_tenant(engine: Engine, tenant: Tenant, *, actor: str = "cli") -> None:
    """Mark the tenant as being deleted (every process answers 404 from the next
    transaction on: the switch reads the registry), then drop schema and role, then the
    registry rows. Each step may be repeated."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE platform.tenants SET status = 'deleting', updated_at = now() WHERE id = :id"), {"id": tenant.id}
        )
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {quote_ident(tenant.schema_name)} CASCADE"))
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": tenant.role_name}).scalar():
            conn.execute(text(f"DROP ROLE {quote_ident(tenant.role_name)}"))
    with Session(engine) as session, session.begin():
        session.add(
            StaffAuditEntry(
                actor=actor, action="tenant.deleted", tenant_id=tenant.id, tenant_slug=tenant.slug, detail={"name": tenant.name}
            )
        )
        session.execute(Tenant.__table__.delete().where(Tenant.id == tenant.id))
