"""What every command needs: the platform's state and who is acting (for the audit logs)."""

from __future__ import annotations

import functools
import getpass
import sys
from contextlib import contextmanager


def state():
    """Settings, engine, tenant directory and role prefix. Inside the web app's context (a
    command that asked for it) the app's own; otherwise built once for this command, without
    the web app."""
    flask = sys.modules.get("flask")
    if flask is not None and flask.has_app_context():
        return flask.current_app.extensions["wijknet"]
    return _command_state()


@functools.cache
def _command_state():
    from ..config import load_settings
    from ..state import build_state

    return build_state(load_settings(), timeouts=False)


def finish() -> None:
    """At the command's end (atexit): close its database connections, then spare the
    interpreter its last garbage collection. That collection visits every object the
    imports made (SQLAlchemy's above all) only to free memory the process is about to give
    back: about 0.1 s of every command on this machine (docs/performance.md). Connections are
    closed first, so the server sees a proper goodbye, not a dropped socket."""
    import gc

    if _command_state.cache_info().currsize:
        _command_state().engine.dispose()
    gc.freeze()


def web_app():
    """The whole web app. Costs its start-up, so only the commands that need its context
    build it: running jobs, rendering an email in the reader's language, module groups."""
    from ..app import create_app

    return create_app()


@contextmanager
def web_app_context():
    app = web_app()
    with app.app_context():
        yield app


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli"
