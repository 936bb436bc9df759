"""What every command needs: the app's state and who is acting (for the audit logs)."""

from __future__ import annotations

import getpass

from flask import current_app


def state():
    return current_app.extensions["wijknet"]


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli"
