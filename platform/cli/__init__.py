"""The `wijknet` command: database, tenants, people and tokens, the worker, the demo and the
web server; every module adds its own group (its record's `cli`).

A command imports only what it needs: the group knows which file defines each command and
imports it when the command is asked for, and commands work without building the web app
(common.state()); the few that need the app's context (the worker, mail) ask for it.

Exit codes: 0 done, 1 the work failed (message on stderr), 2 wrong usage.
"""

from __future__ import annotations

import importlib

import click

from .common import web_app

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

    def _add_module_groups(self) -> None:
        from ..modules import all_modules, load

        for module in all_modules().values():
            if module.cli and module.name not in self.commands:
                self.add_command(load(module.cli), module.name)


@click.group(cls=LazyGroup)
def main() -> None:
    """wijknet: living labs, one PostgreSQL schema each."""
