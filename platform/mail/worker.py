"""`wijknet worker`: runs the background jobs (email, board reminders and digests) until stopped."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.engine import Engine

from ..config import Settings
from ..jobs import run_worker
from . import tasks
from .transports import Mailer, make_transport


def run(settings: Settings, engine: Engine, flask_app: Flask, *, until_empty: bool = False, concurrency: int = 2) -> None:
    tasks.retry.base_seconds = settings.mail_retry_seconds
    mailer = Mailer(make_transport(settings.mail_url, engine), settings.mail_from)
    run_worker(
        engine.url.render_as_string(hide_password=False),
        until_empty=until_empty,
        concurrency=concurrency,
        context={"mailer": mailer, "engine": engine, "flask_app": flask_app},
    )
