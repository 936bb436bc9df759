"""`wijknet db`: the platform schema, then every tenant that is behind."""

from __future__ import annotations

import sys

import click

from . import main
from .common import state as _state


@main.group()
def db() -> None:
    """Database schema: platform and every tenant."""


@db.command("upgrade")
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 32), help="Tenants migrated in parallel.")
def db_upgrade(jobs: int) -> None:
    """Migrate the platform schema, then every tenant that is behind."""
    from ..tenancy import migrate as migrations
    from ..tenancy.citus import describe_cluster

    state = _state()
    cluster = describe_cluster(state.engine)
    if cluster:
        click.echo(cluster)
    migrations.upgrade_platform(state.engine, state.settings.migrations_dir)
    click.echo("platform: at head")
    _run_tenant_migrations(jobs=jobs, slugs=None)


def _run_tenant_migrations(*, jobs: int, slugs) -> None:
    from ..tenancy import migrate as migrations

    state = _state()
    bar_holder: dict = {}

    def on_start(total: int) -> None:
        click.echo(f"tenants behind head: {total}")
        if total:
            bar_holder["bar"] = click.progressbar(
                length=total, label="migrating tenants", file=sys.stderr, show_pos=True, show_eta=True
            )
            bar_holder["bar"].__enter__()

    def on_result(result) -> None:
        bar_holder["bar"].update(1)

    try:
        summary = migrations.upgrade_tenants(
            state.engine,
            state.settings.migrations_dir,
            jobs=jobs,
            slugs=slugs,
            on_start=on_start,
            on_result=on_result,
            prepared_statements=state.settings.prepared_statements,
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
