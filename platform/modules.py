"""The module contract: what a tenant module declares, and the registry the platform loops over.

A module (the board, shared assets, contracts, the ledger) lives in one folder under
`tenants/` and exports one `Module` object from its `__init__.py`. It is found through the
`wijknet.modules` entry point group (pyproject.toml), so the platform never names a module:
`create_app`, the worker, the CLI, provisioning, the demo seed, labels and navigation all
loop over `all_modules()`. Heavy parts (settings schema, blueprints, models, tasks, CLI)
are given as import paths and loaded only when needed, so `wijknet` commands start fast.

docs/adding-a-module.md shows how to write one, with the board as the example.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from marshmallow import Schema

ENTRY_POINT_GROUP = "wijknet.modules"
ROLES = ("member", "moderator", "admin")


def load(path: str) -> Any:
    """`package.module:attribute` (or `package.module` for the module itself)."""
    module_path, _, attribute = path.partition(":")
    loaded = importlib.import_module(module_path)
    return getattr(loaded, attribute) if attribute else loaded


@dataclass(frozen=True)
class NavEntry:
    """A link in a living lab's navigation: shown to members of at least `role` (None:
    to anyone who may see the module's pages)."""

    endpoint: str
    label: Any  # a lazy translated string
    role: str | None = None


@dataclass(frozen=True)
class Module:
    """What a tenant module is and brings. Every field but the first four is optional."""

    name: str
    label: Any  # lazy_gettext: Dutch and English through the catalog
    description: Any
    settings: str  # import path of a marshmallow Schema, every field with a load_default
    pages: tuple[str, ...] = ()  # import paths of Flask blueprints (url_prefix /t/<slug>/...)
    api: tuple[str, ...] = ()  # import paths of flask-smorest blueprints (/t/<slug>/api/v1/...)
    models: str | None = None  # import path of the module with its tables (TenantBase)
    tasks: tuple[str, ...] = ()  # import paths of modules with procrastinate tasks
    cli: str | None = None  # import path of a click group, added as `wijknet <name>`
    navigation: tuple[NavEntry, ...] = ()
    tile: str | None = None  # template of its tile on the lab's home page
    demo_seed: str | None = None  # import path of seed(engine, tenant) -> iterator of lines
    # import path of copy(model: Session, new: Session) -> int: the module's starter data
    # (e.g. the ledger's accounts) copied from a model lab into a new one (starter kit).
    starter_kit: str | None = None
    permissions: dict[str, str] = field(default_factory=dict)  # permission -> lowest role
    audit_events: dict[str, Any] = field(default_factory=dict)  # action -> lazy label

    def __post_init__(self):
        for permission, role in self.permissions.items():
            if role not in ROLES:
                raise ValueError(f"{self.name}: permission {permission} needs a role of {ROLES}")

    def settings_schema(self) -> type[Schema]:
        return load(self.settings)

    def default_settings(self) -> dict:
        return self.settings_schema()().load({})

    def settings_from(self, stored: dict | None) -> dict:
        """The stored settings with the defaults filled in (keys the schema no longer has are dropped)."""
        schema = self.settings_schema()()
        known = set(schema.fields)
        return schema.load({k: v for k, v in (stored or {}).items() if k in known})

    def page_blueprints(self) -> list:
        return [load(path) for path in self.pages]

    def api_blueprints(self) -> list:
        return [load(path) for path in self.api]

    def load_models(self) -> None:
        if self.models:
            load(self.models)

    def role_for(self, permission: str) -> str:
        return self.permissions[permission]


class Registry:
    """The modules of this installation (entry points), plus any a test registers."""

    def __init__(self):
        self._extra: dict[str, Module] = {}

    @cached_property
    def _installed(self) -> dict[str, Module]:
        found = {}
        for point in entry_points(group=ENTRY_POINT_GROUP):
            module = point.load()
            if not isinstance(module, Module) or module.name != point.name:
                raise TypeError(f"entry point {point.name!r} of {ENTRY_POINT_GROUP} must be a Module named {point.name!r}")
            found[module.name] = module
        return dict(sorted(found.items()))

    def all(self) -> dict[str, Module]:
        return {**self._installed, **self._extra}

    def register(self, module: Module) -> Callable[[], None]:
        """Add a module (tests); returns the function that removes it again."""
        self._extra[module.name] = module
        return lambda: self._extra.pop(module.name, None)


registry = Registry()


def all_modules() -> dict[str, Module]:
    return registry.all()


def get_module(name: str) -> Module:
    try:
        return registry.all()[name]
    except KeyError:
        raise LookupError(f"No module named {name!r}; known: {', '.join(registry.all())}") from None


def tenant_metadata():
    """The metadata of every tenant table: the core's and each module's."""
    from wijknet.tenants.core import models as _core  # noqa: F401  (members, audit log)

    from .db import TenantBase

    for module in all_modules().values():
        module.load_models()
    return TenantBase.metadata


def module_settings(name: str) -> dict:
    """The settings of module `name` in this request's living lab, defaults filled in."""
    from flask import g

    from .tenancy.routing import current_tenant

    cache = g.setdefault("module_settings", {})
    if name not in cache:
        cache[name] = get_module(name).settings_from(current_tenant().settings.get(name))
    return cache[name]
