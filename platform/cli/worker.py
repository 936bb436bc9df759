"""`wijknet worker`: background jobs (email, module jobs) from the database queue."""

from __future__ import annotations

import click

from . import main
from .common import state as _state
from .common import web_app_context


@main.command("worker")
@click.option("--until-empty", is_flag=True, help="Stop when no job is due (instead of waiting for new ones).")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 32), help="Jobs run at the same time.")
def worker(until_empty: bool, concurrency: int) -> None:
    """Run background jobs (email, board reminders and digests) from the database queue until stopped."""
    import logging

    from ..mail.worker import run

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("wijknet", "procrastinate"):
        logging.getLogger(name).setLevel(logging.INFO)
    with web_app_context() as app:  # jobs render emails in the reader's language
        state = _state()
        click.echo(f"worker: mail via {'the log and /dev/outbox' if state.settings.mail_url == 'log' else 'SMTP'}", err=True)
        run(state.settings, state.engine, app, until_empty=until_empty, concurrency=concurrency)
