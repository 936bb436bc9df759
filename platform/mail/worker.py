"""`wijknet worker`: runs the background jobs (today: email) until stopped."""
from __future__ import annotations

from sqlalchemy.engine import Engine

from ..config import Settings
from ..jobs import run_worker
from . import tasks
from .transports import Mailer, make_transport


def run(settings: Settings, engine: Engine, *, until_empty: bool = False, concurrency: int = 2) -> None:
    tasks.retry.base_seconds = settings.mail_retry_seconds
    mailer = Mailer(make_transport(settings.mail_url, engine), settings.mail_from)
    run_worker(engine.url.render_as_string(hide_password=False), until_empty=until_empty,
               concurrency=concurrency, context={"mailer": mailer})
