"""The `wijknet` command: database, tenants, people and tokens, the worker, the demo and the
web server; every module adds its own group (its record's `cli`).

A command imports only what it needs: the group knows which file defines each command and
imports it when the command is asked for, and commands work without building the web app
(common.state()); the few that need the app's context (the worker, mail) ask for it.

Exit codes: 0 done, 1 the work failed (message on stderr), 2 wrong usage.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import sys

import click

from ..refusals import DomainError
from .common import finish, web_app

# command -> the file of this package that defines it
COMMANDS = {
    "db": "db",
    "tenants": "tenants",
    "users": "users",
    "tokens": "users",
    "demo": "serve",
    "serve": "serve",
    "worker": "worker",
}


class LazyGroup(click.Group):
    """Loads a command's file when the command is asked for, and the modules' groups
    (entry points) only when no command of the platform has the name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_module_groups()
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands:
            if name in COMMANDS:
                importlib.import_module(f"{__name__}.{COMMANDS[name]}")
            else:
                self._add_module_groups()
        if name not in COMMANDS and name in self.commands and ctx.obj is None:
            # A module's group is a flask AppGroup: its commands run in the web app's
            # context, which flask builds from this (only for them).
            from flask.cli import ScriptInfo

            ctx.obj = ScriptInfo(create_app=web_app)
        return self.commands.get(name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DomainError as exc:  # a rule said no: its message, exit 1
            raise click.ClickException(exc.message) from None
        except Exception as exc:
            message = database_problem(exc)
            if message is None:
                raise
            raise click.ClickException(message) from None

    def _add_module_groups(self) -> None:
        from ..modules import all_modules, load

        for module in all_modules().values():
            if module.cli and module.name not in self.commands:
                self.add_command(load(module.cli), module.name)


def database_problem(exc: BaseException) -> str | None:
    """What to tell a person whose command met a database that is not there or not set up
    (a message and exit 1, not a traceback); None for any other error."""
    sqlalchemy = sys.modules.get("sqlalchemy")
    if sqlalchemy is None or not isinstance(exc, sqlalchemy.exc.DBAPIError):
        return None
    first_line = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    if isinstance(exc, sqlalchemy.exc.OperationalError) and exc.statement is None:  # the connection could not be opened
        return f"Cannot reach the database named by DATABASE_URL: {first_line}"
    if type(exc.orig).__name__ in ("UndefinedTable", "InvalidSchemaName") and "platform." in str(exc.statement or ""):
        return f"This database has no wijknet tables yet ({first_line}): run `wijknet db upgrade` first."
    return None


@click.group(cls=LazyGroup)
def main() -> None:
    """wijknet: living labs, one PostgreSQL schema each."""


def run() -> None:
    """The `wijknet` program (pyproject's script): `main` in a process of its own.

    A command's start allocates objects that live as long as it does (modules, SQLAlchemy's
    tables and mappers), and the cyclic collector's default (a pass every 700 allocations)
    visits them again and again: about 40 ms of `tenants create` here. A pass every 50,000
    allocations leaves at most a few MB of cyclic garbage waiting, also in the long-running
    worker (the web server, gunicorn, is a process of its own and keeps the default). At the
    end, `finish` closes the connections and spares the interpreter its last collection.
    Tests call `main` and keep their interpreter as it is."""
    gc.set_threshold(50_000, 10, 10)
    atexit.register(finish)
    main()
