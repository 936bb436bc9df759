"""`wijknet tenants`: living labs: create, list, migrate, suspend, resume, add a domain, delete."""

from __future__ import annotations

import json
from contextlib import nullcontext

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..tenancy.models import PLANS, TENANT_TYPES, ModuleSetting, Tenant
from . import main
from .common import actor as _actor
from .common import state as _state
from .common import web_app_context


@main.group()
def tenants() -> None:
    """Living labs: create, list, migrate, suspend, resume, delete."""


def _modules_option(value: str) -> tuple[str, ...]:
    return tuple(m.strip() for m in value.split(",") if m.strip())


@tenants.command("create")
@click.option("--slug", required=True, help="Address name: 3-40 lowercase letters, digits, hyphens.")
@click.option("--name", required=True)
@click.option("--type", "type_", default="other", show_default=True, type=click.Choice(TENANT_TYPES))
@click.option("--region", default="")
@click.option("--tagline", default="")
@click.option("--plan", default="pilot", show_default=True, type=click.Choice(PLANS))
@click.option("--modules", default="board", show_default=True, help="Comma separated: board,assets,contracts,ledger")
@click.option("--admin-email", default=None, help="First admin: gets an invitation by email (the link is printed too).")
def tenants_create(slug, name, type_, region, tagline, plan, modules, admin_email) -> None:
    """Create a living lab (or finish one whose creation was interrupted)."""
    from ..tenancy.provisioning import TenantSpec, provision_tenant

    if admin_email:  # the invitation (and its email) only then
        from ..identity.joining import first_admin_email, invite_first_admin

        first_admin_email(admin_email)  # refused before anything is made, not half-way

    state = _state()
    spec = TenantSpec(
        slug=slug, name=name, type=type_, region=region, tagline=tagline, plan=plan, modules=_modules_option(modules)
    )
    shown: dict = {}

    def first_admin(session, tenant):
        shown["link"] = invite_first_admin(session, tenant, admin_email, public_url=state.settings.public_url, actor=_actor())

    with web_app_context() if admin_email else nullcontext():  # the invitation's email is a template
        tenant = provision_tenant(
            state.engine,
            spec,
            role_prefix=state.role_prefix,
            migrations_dir=state.settings.migrations_dir,
            actor=_actor(),
            first_admin=first_admin if admin_email else None,
        )
    state.directory.forget(slug)
    click.echo(f"created {tenant.slug} (id {tenant.id}, schema {tenant.schema_name}, role {tenant.role_name})")
    from ..tenancy.citus import is_citus, tenant_node

    if is_citus(state.engine):
        with state.engine.connect() as conn:
            node = tenant_node(conn, tenant.schema_name)
        click.echo(f"on Citus: a distributed schema, placed on worker {node.address if node else '?'}")
    if admin_email:
        if shown.get("link"):
            click.echo(f"invitation for {admin_email} as administrator (emailed; valid 14 days):")
            click.echo(f"  {shown['link']}")
        else:
            click.echo(f"{admin_email} was already invited as administrator by an earlier run (see their email).")


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def tenants_list(as_json: bool) -> None:
    """List living labs with status, schema version and module set."""
    state = _state()
    with Session(state.engine) as session:
        rows = session.scalars(select(Tenant).order_by(Tenant.id)).all()
        modules: dict[int, list[str]] = {}
        for tenant_id, module in session.execute(
            select(ModuleSetting.tenant_id, ModuleSetting.module).where(ModuleSetting.enabled).order_by(ModuleSetting.module)
        ):
            modules.setdefault(tenant_id, []).append(module)
        data = [
            {
                "id": t.id,
                "slug": t.slug,
                "name": t.name,
                "type": t.type,
                "region": t.region,
                "plan": t.plan,
                "status": t.status,
                "schema": t.schema_name,
                "role": t.role_name,
                "schema_version": t.schema_version,
                "migration_error": (t.migration_error or "").splitlines()[0] if t.migration_error else None,
                "modules": modules.get(t.id, []),
                "created_at": t.created_at.isoformat(),
            }
            for t in rows
        ]
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    if not data:
        click.echo("No living labs yet. Create one with: wijknet tenants create --slug S --name N")
        return
    width = max(len(d["slug"]) for d in data)
    for d in data:
        flag = "  MIGRATION FAILED" if d["migration_error"] else ""
        click.echo(f"{d['slug']:<{width}}  {d['status']:<12} {d['schema']}  {d['schema_version'] or '-':<8} {d['name']}{flag}")


@tenants.command("migrate")
@click.option("--slug", "slugs", multiple=True, help="Only these tenants (repeatable).")
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 32))
def tenants_migrate(slugs, jobs: int) -> None:
    """Migrate tenant schemas that are behind head (all, or the given slugs)."""
    from .db import _run_tenant_migrations

    _run_tenant_migrations(jobs=jobs, slugs=list(slugs) or None)


def _set_status(slug: str, status: str, reason: str) -> None:
    from ..tenancy.operations import set_tenant_status

    state = _state()
    with Session(state.engine) as session, session.begin():
        set_tenant_status(session, slug, status, actor=_actor(), reason=reason)
    state.directory.forget(slug)
    click.echo(f"{slug}: {status}")


@tenants.command("suspend")
@click.option("--slug", required=True)
@click.option("--reason", default="")
def tenants_suspend(slug: str, reason: str) -> None:
    """Make a living lab read-only (writes answer 423)."""
    _set_status(slug, "suspended", reason)


@tenants.command("resume")
@click.option("--slug", required=True)
def tenants_resume(slug: str) -> None:
    """Lift a suspension."""
    _set_status(slug, "active", "")


@tenants.command("add-domain")
@click.option("--slug", required=True)
@click.option("--host", required=True, help="e.g. buurt.example.nl")
def tenants_add_domain(slug: str, host: str) -> None:
    """Serve a living lab on a custom domain as well."""
    from ..tenancy.operations import add_domain

    state = _state()
    with Session(state.engine) as session, session.begin():
        domain = add_domain(session, slug, host, actor=_actor())
        host = domain.host
    state.directory.forget()
    click.echo(f"{host} -> {slug}")


@tenants.command("delete")
@click.option("--slug", required=True)
@click.option("--yes", is_flag=True, help="Do not ask; for scripts.")
def tenants_delete(slug: str, yes: bool) -> None:
    """Drop a living lab's schema, role and registry entry. This cannot be undone."""
    from ..tenancy.operations import get_tenant
    from ..tenancy.provisioning import drop_tenant

    state = _state()
    with Session(state.engine) as session:
        tenant = get_tenant(session, slug)
        session.expunge(tenant)
    if not yes:
        typed = click.prompt(f"This drops all data of {tenant.name!r}. Type the slug to confirm", default="", show_default=False)
        if typed != slug:
            raise click.ClickException("Not confirmed; nothing was deleted.")
    drop_tenant(state.engine, tenant, actor=_actor())
    state.directory.forget(slug)
    click.echo(f"deleted {slug} (schema {tenant.schema_name}, role {tenant.role_name})")


@tenants.command("export")
@click.option("--slug", required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="The zip to write.")
def tenants_export(slug: str, out: str) -> None:
    """Every table of a living lab as CSV and JSON in one zip, with a manifest."""
    from ..tenancy.export import export_tenant

    payload, summary = export_tenant(_state().engine, slug)
    with open(out, "wb") as fh:
        fh.write(payload)
    rows = sum(summary.tables.values())
    click.echo(f"exported {slug}: {len(summary.tables)} tables, {rows} rows, {summary.size // 1024} kB -> {out}")


@tenants.command("import")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--slug", required=True, help="The new living lab's slug.")
@click.option("--name", default=None, help="Default: the exported lab's name.")
def tenants_import(path: str, slug: str, name: str | None) -> None:
    """A new living lab with the data of an export (same schema version)."""
    from ..tenancy.export import import_tenant

    state = _state()
    with open(path, "rb") as fh:
        payload = fh.read()
    tenant, counts = import_tenant(
        state.engine,
        payload,
        slug=slug,
        name=name,
        role_prefix=state.role_prefix,
        migrations_dir=state.settings.migrations_dir,
        actor=_actor(),
    )
    state.directory.forget(slug)
    click.echo(f"imported into {tenant.slug} (schema {tenant.schema_name}): {sum(counts.values())} rows in {len(counts)} tables")
    click.echo("Its people are not members here yet: invite them (wijknet users add, or the admin console).")


@tenants.command("move")
@click.option("--slug", required=True)
@click.option("--to-node", "to_node", required=True, help="The worker: its node id or host:port (see `wijknet tenants nodes`).")
@click.option(
    "--mode",
    type=click.Choice(["auto", "force_logical", "block_writes"]),
    default="auto",
    show_default=True,
    help="auto: writes go on during the copy and wait only for the switch-over.",
)
def tenants_move(slug: str, to_node: str, mode: str) -> None:
    """Move a living lab's schema to another Citus worker (Citus only; docs/scale-out.md)."""
    from ..tenancy.citus import move_tenant

    state = _state()
    moved = move_tenant(state.engine, slug, to_node, actor=_actor(), mode=mode)
    if moved.source.id == moved.target.id:
        click.echo(f"{slug} ({moved.schema}) is already on {moved.target.address}: nothing moved.")
        return
    click.echo(f"moved {slug} ({moved.schema}) from {moved.source.address} to {moved.target.address} in {moved.seconds:.1f} s")


@tenants.command("nodes")
def tenants_nodes() -> None:
    """The Citus workers and how many living labs each holds (Citus only)."""
    from ..tenancy.citus import labs_per_node

    rows = labs_per_node(_state().engine)
    for node, labs in rows:
        click.echo(f"{node.id:>4}  {node.address:<24} {labs} living lab(s)")


@tenants.command("backup")
@click.option("--slug", required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="The SQL file to write.")
def tenants_backup(slug: str, out: str) -> None:
    """A living lab's schema as a pg_dump script (restore it with `tenants restore`)."""
    from ..tenancy.backup import backup_tenant

    path = backup_tenant(_state().engine, slug, out)
    click.echo(f"backed up {slug}: {path.stat().st_size // 1024} kB -> {path}")


@tenants.command("restore")
@click.option("--slug", required=True)
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask: the lab's current data is replaced.")
def tenants_restore(slug: str, path: str, yes: bool) -> None:
    """Replace a living lab's data by a backup of it, in one transaction (on Citus too)."""
    from ..tenancy.backup import restore_tenant

    if not yes and not click.confirm(f"Replace every table of {slug} by the backup in {path}?"):
        raise click.ClickException("Not confirmed; nothing was restored.")
    state = _state()
    restore_tenant(state.engine, slug, path)
    state.directory.forget(slug)
    click.echo(f"restored {slug} from {path}")
