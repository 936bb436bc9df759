"""The `wijknet` command: database, tenants, demo data and the web server.

Exit codes: 0 done, 1 the work failed (message on stderr), 2 wrong usage.
"""
from __future__ import annotations

import getpass
import json
import os
import shutil
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .app import create_app
from .tenancy import migrate as migrations
from .tenancy.models import PLANS, TENANT_TYPES, ModuleSetting, Tenant
from .tenancy.operations import TenantActionError, add_domain, add_member, ensure_user, get_tenant, set_tenant_status
from .tenancy.provisioning import ProvisioningError, TenantSpec, drop_tenant, provision_tenant


def _state():
    return current_app.extensions["wijknet"]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli"


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False)
def main() -> None:
    """wijknet: living labs, one PostgreSQL schema each."""


# --- database ------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database schema: platform and every tenant."""


@db.command("upgrade")
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 32), help="Tenants migrated in parallel.")
def db_upgrade(jobs: int) -> None:
    """Migrate the platform schema, then every tenant that is behind."""
    state = _state()
    migrations.upgrade_platform(state.engine, state.settings.migrations_dir)
    click.echo("platform: at head")
    _run_tenant_migrations(jobs=jobs, slugs=None)


def _run_tenant_migrations(*, jobs: int, slugs) -> None:
    state = _state()
    bar_holder: dict = {}

    def on_start(total: int) -> None:
        click.echo(f"tenants behind head: {total}")
        if total:
            bar_holder["bar"] = click.progressbar(length=total, label="migrating tenants", file=sys.stderr, show_pos=True, show_eta=True)
            bar_holder["bar"].__enter__()

    def on_result(result) -> None:
        bar_holder["bar"].update(1)

    try:
        summary = migrations.upgrade_tenants(
            state.engine, state.settings.migrations_dir, jobs=jobs, slugs=slugs,
            on_start=on_start, on_result=on_result, prepared_statements=state.settings.prepared_statements,
        )
    finally:
        if "bar" in bar_holder:
            bar_holder["bar"].__exit__(None, None, None)
    click.echo(f"tenant head {summary.head}: {len(summary.upgraded)} upgraded, {len(summary.failed)} failed")
    for failure in summary.failed:
        click.echo(f"  FAILED {failure.slug} (kept at {failure.from_version}): {failure.error}", err=True)
    if summary.failed:
        click.echo("Fix the cause and run the command again: it resumes with the tenants that are behind.", err=True)
        sys.exit(1)


# --- tenants -------------------------------------------------------------------------
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
    from .identity.joining import JoinError, invite_first_admin

    state = _state()
    spec = TenantSpec(slug=slug, name=name, type=type_, region=region, tagline=tagline, plan=plan, modules=_modules_option(modules))
    shown: dict = {}

    def first_admin(session, tenant):
        shown["link"] = invite_first_admin(session, tenant, admin_email, public_url=state.settings.public_url, actor=_actor())

    try:
        tenant = provision_tenant(state.engine, spec, role_prefix=state.role_prefix, migrations_dir=state.settings.migrations_dir,
                                  actor=_actor(), first_admin=first_admin if admin_email else None)
    except (ProvisioningError, TenantActionError, JoinError) as exc:
        raise click.ClickException(str(exc)) from None
    state.directory.forget(slug)
    click.echo(f"created {tenant.slug} (id {tenant.id}, schema {tenant.schema_name}, role {tenant.role_name})")
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
                "id": t.id, "slug": t.slug, "name": t.name, "type": t.type, "region": t.region, "plan": t.plan,
                "status": t.status, "schema": t.schema_name, "role": t.role_name, "schema_version": t.schema_version,
                "migration_error": (t.migration_error or "").splitlines()[0] if t.migration_error else None,
                "modules": modules.get(t.id, []), "created_at": t.created_at.isoformat(),
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
    _run_tenant_migrations(jobs=jobs, slugs=list(slugs) or None)


def _set_status(slug: str, status: str, reason: str) -> None:
    state = _state()
    try:
        with Session(state.engine) as session, session.begin():
            set_tenant_status(session, slug, status, actor=_actor(), reason=reason)
    except TenantActionError as exc:
        raise click.ClickException(str(exc)) from None
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
    state = _state()
    try:
        with Session(state.engine) as session, session.begin():
            domain = add_domain(session, slug, host, actor=_actor())
            host = domain.host
    except TenantActionError as exc:
        raise click.ClickException(str(exc)) from None
    state.directory.forget()
    click.echo(f"{host} -> {slug}")


@tenants.command("delete")
@click.option("--slug", required=True)
@click.option("--yes", is_flag=True, help="Do not ask; for scripts.")
def tenants_delete(slug: str, yes: bool) -> None:
    """Drop a living lab's schema, role and registry entry. This cannot be undone."""
    state = _state()
    with Session(state.engine) as session:
        try:
            tenant = get_tenant(session, slug)
        except TenantActionError as exc:
            raise click.ClickException(str(exc)) from None
        session.expunge(tenant)
    if not yes:
        typed = click.prompt(f"This drops all data of {tenant.name!r}. Type the slug to confirm", default="", show_default=False)
        if typed != slug:
            raise click.ClickException("Not confirmed; nothing was deleted.")
    drop_tenant(state.engine, tenant, actor=_actor())
    state.directory.forget(slug)
    click.echo(f"deleted {slug} (schema {tenant.schema_name}, role {tenant.role_name})")


# --- users and tokens ----------------------------------------------------------------
@main.group()
def users() -> None:
    """People: add them, give them a role in a living lab or make them staff."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--tenant", "slug", default=None, help="Give a role in this living lab.")
@click.option("--role", default="member", show_default=True, type=click.Choice(("member", "moderator", "admin")))
@click.option("--staff", is_flag=True, help="Network staff.")
def users_add(email: str, name: str, slug: str | None, role: str, staff: bool) -> None:
    """Add a person; they take the account through the link printed (and emailed) here."""
    from .identity.claims import claim_account_by_email

    state = _state()
    try:
        with Session(state.engine) as session, session.begin():
            user = ensure_user(session, email, name, staff=staff)
            if slug:
                add_member(session, get_tenant(session, slug), user, role)
            user_id = user.id
            link = claim_account_by_email(session, user, public_url=state.settings.public_url, actor=_actor())
    except TenantActionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {user_id} {email}" + (f": {role} of {slug}" if slug else "") + (" (staff)" if staff else ""))
    if link:
        click.echo(f"they take the account by signing in through this link (emailed; valid 14 days):\n  {link}")
    else:
        click.echo("they have signed in before: nothing to claim.")


@main.group()
def tokens() -> None:
    """Personal access tokens for a living lab's API."""


def _user_by_email(session: Session, email: str):
    from .identity.operations import network_user_by_email

    user = network_user_by_email(session, email.strip())
    if user is None:
        raise click.ClickException(f"No user with email {email!r}; add one with `wijknet users add`.")
    return user


@tokens.command("create")
@click.option("--email", required=True)
@click.option("--tenant", "slug", required=True)
@click.option("--name", default="cli", show_default=True)
def tokens_create(email: str, slug: str, name: str) -> None:
    """Create a token and print it. It is shown only this once."""
    from .identity.tokens import TokenError, create_token

    state = _state()
    try:
        with Session(state.engine) as session, session.begin():
            tenant = get_tenant(session, slug)
            token, plaintext = create_token(session, tenant_id=tenant.id, user=_user_by_email(session, email), name=name)
            token_id = token.id
    except (TenantActionError, TokenError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {token_id} for {email} in {slug} (shown once, store it now):", err=True)
    click.echo(plaintext)


@tokens.command("list")
@click.option("--tenant", "slug", required=True)
def tokens_list(slug: str) -> None:
    """Tokens of a living lab (never the secret itself)."""
    from .identity.models import ApiToken, User

    state = _state()
    with Session(state.engine) as session:
        try:
            tenant = get_tenant(session, slug)
        except TenantActionError as exc:
            raise click.ClickException(str(exc)) from None
        rows = session.execute(
            select(ApiToken, User.email).join(User, User.id == ApiToken.user_id).where(ApiToken.tenant_id == tenant.id).order_by(ApiToken.id)
        ).all()
    if not rows:
        click.echo("No tokens.")
    for token, email in rows:
        state_text = "revoked" if token.revoked_at else f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        click.echo(f"{token.id:>6}  {token.prefix}…  {email}  {token.name}  {state_text}")


@tokens.command("revoke")
@click.option("--tenant", "slug", required=True)
@click.option("--id", "token_id", required=True, type=int)
def tokens_revoke(slug: str, token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    from .identity.tokens import TokenError, revoke_token

    state = _state()
    try:
        with Session(state.engine) as session, session.begin():
            revoke_token(session, tenant_id=get_tenant(session, slug).id, token_id=token_id)
    except (TenantActionError, TokenError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {token_id} revoked")


# --- background jobs ---------------------------------------------------------------
@main.command("worker")
@click.option("--until-empty", is_flag=True, help="Stop when no job is due (instead of waiting for new ones).")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 32), help="Jobs run at the same time.")
def worker(until_empty: bool, concurrency: int) -> None:
    """Run background jobs (email, board reminders and digests) from the database queue until stopped."""
    import logging

    from .mail.worker import run

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("wijknet", "procrastinate"):
        logging.getLogger(name).setLevel(logging.INFO)
    state = _state()
    click.echo(f"worker: mail via {'the log and /dev/outbox' if state.settings.mail_url == 'log' else 'SMTP'}", err=True)
    run(state.settings, state.engine, current_app._get_current_object(), until_empty=until_empty, concurrency=concurrency)


# --- board ---------------------------------------------------------------------------
@main.group()
def board() -> None:
    """The businessbakkerij board."""


@board.command("notify")
@click.option("--slug", "slugs", multiple=True, help="Only this tenant (repeatable). Default: every tenant with the board on.")
def board_notify(slugs) -> None:
    """Queue the due expiry reminders and digests now (the worker also does this every hour)."""
    from wijknet.tenants.board.tasks import board_tenant_ids, run_for_tenant

    state = _state()
    with Session(state.engine) as session:
        ids = board_tenant_ids(session)
        if slugs:
            wanted = dict(session.execute(select(Tenant.slug, Tenant.id).where(Tenant.slug.in_(slugs))).all())
            unknown = sorted(set(slugs) - set(wanted))
            if unknown:
                raise click.ClickException(f"unknown tenant: {', '.join(unknown)}")
            ids = [i for i in ids if i in wanted.values()]
    reminders = digests = 0
    with click.progressbar(ids, label="board notifications", file=sys.stderr, show_pos=True) as bar:
        for tenant_id in bar:
            result = run_for_tenant(state.engine, current_app._get_current_object(), tenant_id)
            reminders, digests = reminders + result.reminders, digests + result.digests
    click.echo(f"{len(ids)} tenants: {reminders} reminders and {digests} digests queued")


# --- demo and server -----------------------------------------------------------------
@main.group()
def demo() -> None:
    """The demo network of `make run`."""


@demo.command("seed")
def demo_seed() -> None:
    """Create the demo living labs and their people (idempotent)."""
    from .demo.seed import seed_demo

    state = _state()
    for line in seed_demo(state.engine, role_prefix=state.role_prefix, migrations_dir=state.settings.migrations_dir):
        click.echo(line)
    state.directory.forget()


def _default_bind() -> str:
    return os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def _port_free(host: str, port: int) -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
        return True
    except OSError:
        return False


@main.command("serve")
@click.option("--bind", default=_default_bind, show_default="BIND, else 127.0.0.1:PORT, else 127.0.0.1:8000")
@click.option("--workers", default=None, type=int, help="Default: gunicorn.conf.py")
@click.option("--demo-login", is_flag=True, help="Also run a local OpenID provider with the demo people (not in production).")
@click.option("--demo-login-port", default=None, type=click.IntRange(1024, 65535), help="Default: the web port + 1.")
@click.option("--worker", "with_worker", is_flag=True, help="Also run `wijknet worker` (background jobs, email).")
def serve(bind: str, workers: int | None, demo_login: bool, demo_login_port: int | None, with_worker: bool) -> None:
    """Serve with gunicorn (config: gunicorn.conf.py)."""
    import signal
    import subprocess
    import time

    host, _, port_text = bind.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise click.ClickException(f"--bind {bind!r} is not HOST:PORT, e.g. 127.0.0.1:8000.")
    port = int(port_text)
    if not _port_free(host.strip("[]"), port):
        raise click.ClickException(f"{host}:{port} is already in use. Choose another port: PORT=8080 make run (or BIND=127.0.0.1:8080).")
    demo_login_port = demo_login_port or port + 1
    if demo_login and not _port_free("127.0.0.1", demo_login_port):
        raise click.ClickException(f"127.0.0.1:{demo_login_port} (the demo sign-in service) is already in use; use --demo-login-port.")

    from .config import repository_root
    from .demo.seed import LABS, PEOPLE

    state = _state()
    gunicorn = shutil.which("gunicorn") or os.path.join(os.path.dirname(sys.executable), "gunicorn")
    env = dict(os.environ, DATABASE_URL=state.engine.url.render_as_string(hide_password=False))
    with Session(state.engine) as session:
        labs = session.execute(select(Tenant.slug, Tenant.name).where(Tenant.status != "provisioning").order_by(Tenant.id)).all()
    base = f"http://{bind}"
    args = [gunicorn, "--config", os.path.join(repository_root(), "gunicorn.conf.py"), "--bind", bind]
    if workers:
        args += ["--workers", str(workers)]
    args.append("wijknet.platform.app:create_app()")
    helpers, announcements = [], []
    if demo_login:
        if state.settings.is_production:
            raise click.ClickException("--demo-login is for development only.")
        issuer = f"http://127.0.0.1:{demo_login_port}"
        providers = [p.__dict__ for p in state.settings.oidc_providers]
        # The demo provider vouches for the demo people's addresses (they were made by the seed).
        providers.append({"name": "demo", "label": "Demo-ID", "issuer": issuer, "client_id": "wijknet-demo",
                          "client_secret": "demo-only", "link_verified_email": True})
        env["WIJKNET_OIDC_PROVIDERS"] = json.dumps(providers)
        claims = []
        for email, name, _roles, _staff in PEOPLE:
            claims += ["--user-claims", json.dumps({"sub": email, "email": email, "email_verified": True, "name": name})]
        names = {spec.slug: spec.name for spec in LABS}
        announcements.append(f"\nSign in at {base}/login with Demo-ID (a local test provider at {issuer}); pick one of:")
        for email, name, roles, staff in PEOPLE:
            what = "network staff" if staff else ", ".join(f"{role} of {names[slug]}" for slug, role in roles.items())
            announcements.append(f"  {email:<28} {name:<18} {what}")
        helpers.append(subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(demo_login_port), *claims],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
    worker_command = None
    if with_worker:
        exe = shutil.which("wijknet") or os.path.join(os.path.dirname(sys.executable), "wijknet")
        worker_command = ([exe, "worker"], dict(env, WIJKNET_PUBLIC_URL=os.environ.get("WIJKNET_PUBLIC_URL") or base))
        helpers.append(subprocess.Popen(worker_command[0], env=worker_command[1]))
    server = subprocess.Popen(args, env=env)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda sig, _frame: server.send_signal(sig))
    announced = False
    try:
        while (code := server.poll()) is None:
            if not announced and _answers(f"{base}/healthz"):
                # Said once it is true: gunicorn answers on this address.
                click.echo(f"\nwijknet is served on {base}/")
                click.echo(f"  network landing page   {base}/")
                for slug, name in labs:
                    click.echo(f"  {name[:22]:<22} {base}/t/{slug}/")
                click.echo(f"  API docs               {base}/api/docs")
                if with_worker and state.settings.mail_url == "log":
                    click.echo(f"  email (not sent)       {base}/dev/outbox (network staff)")
                for line in announcements:
                    click.echo(line)
                click.echo("\nStop with Ctrl-C. The embedded PostgreSQL keeps running for the next start; `make clean-db` stops it.\n")
                announced = True
            time.sleep(0.5 if not announced else 1)
            # The worker should never end on its own; if it does (a crash), start another.
            if worker_command and helpers[-1].poll() is not None:
                click.echo(f"worker ended (exit {helpers[-1].returncode}); starting it again", err=True)
                helpers[-1] = subprocess.Popen(worker_command[0], env=worker_command[1])
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            try:
                helper.wait(15)
            except subprocess.TimeoutExpired:
                helper.kill()
    sys.exit(code)
