"""`wijknet demo seed` and `wijknet serve` (gunicorn, with the demo sign-in and the worker for `make run`)."""

from __future__ import annotations

import json
import os
import shutil
import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..tenancy.models import Tenant
from . import main
from .common import state as _state
from .common import web_app_context


@main.group()
def demo() -> None:
    """The demo network of `make run`."""


@demo.command("seed")
def demo_seed() -> None:
    """Create the demo living labs and their people (idempotent)."""
    from ..demo.seed import seed_demo

    with web_app_context():  # the demo's starter content is written as the web app would
        state = _state()
        for line in seed_demo(state.engine, role_prefix=state.role_prefix, migrations_dir=state.settings.migrations_dir):
            click.echo(line)
        state.directory.forget()


def _default_bind() -> str:
    return os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"


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
        raise click.ClickException(
            f"{host}:{port} is already in use. Choose another port: PORT=8080 make run (or BIND=127.0.0.1:8080)."
        )
    demo_login_port = demo_login_port or port + 1
    if demo_login and not _port_free("127.0.0.1", demo_login_port):
        raise click.ClickException(
            f"127.0.0.1:{demo_login_port} (the demo sign-in service) is already in use; use --demo-login-port."
        )

    from ..config import repository_root
    from ..demo.seed import LABS, PEOPLE

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
        providers.append(
            {
                "name": "demo",
                "label": "Demo-ID",
                "issuer": issuer,
                "client_id": "wijknet-demo",
                "client_secret": "demo-only",
                "link_verified_email": True,
            }
        )
        env["WIJKNET_OIDC_PROVIDERS"] = json.dumps(providers)
        claims = []
        for email, name, _roles, _staff in PEOPLE:
            claims += ["--user-claims", json.dumps({"sub": email, "email": email, "email_verified": True, "name": name})]
        names = {spec.slug: spec.name for spec in LABS}
        announcements.append(f"\nSign in at {base}/login with Demo-ID (a local test provider at {issuer}); pick one of:")
        for email, name, roles, staff in PEOPLE:
            what = "network staff" if staff else ", ".join(f"{role} of {names[slug]}" for slug, role in roles.items())
            announcements.append(f"  {email:<28} {name:<18} {what}")
        helpers.append(
            subprocess.Popen(
                [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(demo_login_port), *claims],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    worker_command = None
    if with_worker:
        exe = shutil.which("wijknet") or os.path.join(os.path.dirname(sys.executable), "wijknet")
        worker_command = ([exe, "worker"], dict(env, WIJKNET_PUBLIC_URL=os.environ.get("WIJKNET_PUBLIC_URL") or base))
        helpers.append(subprocess.Popen(worker_command[0], env=worker_command[1]))
    lines = [f"\nwijknet is served on {base}/", f"  network landing page   {base}/"]
    lines += [f"  {name[:22]:<22} {base}/t/{slug}/" for slug, name in labs]
    lines.append(f"  API docs               {base}/api/docs")
    if with_worker and state.settings.mail_url == "log":
        lines.append(f"  email (not sent)       {base}/dev/outbox (network staff)")
    lines += announcements
    lines.append("\nStop with Ctrl-C. The embedded PostgreSQL keeps running for the next start; `make clean-db` stops it.\n")
    # gunicorn.conf.py prints this once it listens on the address and before its workers start:
    # said when it is true, and before the first page can be answered.
    env["WIJKNET_READY_MESSAGE"] = "\n".join(lines)
    server = subprocess.Popen(args, env=env)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda sig, _frame: server.send_signal(sig))
    try:
        while (code := server.poll()) is None:
            time.sleep(1)
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
