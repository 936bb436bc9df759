"""The `wijknet` command: database, tenants, people and tokens, the worker, the demo and the
web server; every module adds its own group (its record's `cli`).

Exit codes: 0 done, 1 the work failed (message on stderr), 2 wrong usage.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():
    from ..app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """wijknet: living labs, one PostgreSQL schema each."""


from . import db, serve, tenants, users, worker  # noqa: E402,F401  (they add their commands to main)


def _add_module_groups() -> None:
    from ..modules import all_modules, load

    for module in all_modules().values():
        if module.cli:
            main.add_command(load(module.cli))


_add_module_groups()
