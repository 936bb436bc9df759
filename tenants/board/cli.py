"""`wijknet board ...`: the board's commands (added to the CLI through the module record)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

board = AppGroup("board", help="The businessbakkerij board.")


@board.command("notify")
@click.option("--slug", "slugs", multiple=True, help="Only this tenant (repeatable). Default: every tenant with the board on.")
def notify(slugs) -> None:
    """Queue the due expiry reminders and digests now (the worker also does this every hour)."""
    from wijknet.platform.tenancy.models import Tenant

    from .tasks import board_tenant_ids, run_for_tenant

    state = current_app.extensions["wijknet"]
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
