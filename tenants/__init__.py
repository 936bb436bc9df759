"""Tenant modules (they live in every tenant schema) and the module registry.

Each module declares its name, its Dutch and English label and a marshmallow schema for
its settings with defaults (SPEC §2.3); a tenant admin switches modules on and off.
"""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate

DEFAULT_BOARD_CATEGORIES = ["zorg", "groen", "klussen", "vervoer", "voedsel", "energie", "werk", "leren"]


class BoardSettings(Schema):
    categories = fields.List(fields.String(validate=validate.Length(1, 40)), load_default=lambda: list(DEFAULT_BOARD_CATEGORIES), validate=validate.Length(1, 50))
    visibility = fields.String(load_default="members", validate=validate.OneOf(["members", "public"]))
    approval_required = fields.Boolean(load_default=False)
    posts_per_day = fields.Integer(load_default=5, validate=validate.Range(1, 100))
    reminder_days = fields.Integer(load_default=3, validate=validate.Range(1, 30))


class AssetSettings(Schema):
    cooperative_fee_percent = fields.Integer(load_default=10, validate=validate.Range(0, 100))


class ContractSettings(Schema):
    approvers_required = fields.Integer(load_default=2, validate=validate.Range(1, 20))
    vote_threshold_cents = fields.Integer(load_default=5_000_000, validate=validate.Range(0))


class LedgerSettings(Schema):
    public_page = fields.Boolean(load_default=False)


@dataclass(frozen=True)
class ModuleInfo:
    name: str
    settings_schema: type[Schema]

    def default_settings(self) -> dict:
        return self.settings_schema().load({})

    def settings_from(self, stored: dict | None) -> dict:
        """The stored settings with the defaults filled in."""
        return self.settings_schema().load(stored or {})


MODULES: dict[str, ModuleInfo] = {
    m.name: m
    for m in (
        ModuleInfo("board", BoardSettings),
        ModuleInfo("assets", AssetSettings),
        ModuleInfo("contracts", ContractSettings),
        ModuleInfo("ledger", LedgerSettings),
    )
}


def tenant_metadata():
    """The metadata of every tenant table, for provisioning and migrations."""
    from wijknet.platform.db import TenantBase
    from .board import models as _board  # noqa: F401
    from .core import models  # noqa: F401  (registers the tables)

    return TenantBase.metadata
