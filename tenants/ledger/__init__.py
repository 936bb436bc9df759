"""Wijkboekhouding: the lab's transparent double-entry ledger (SPEC §2.3 "ledger").

Accounts and an append-only, double-entry journal (models.py; the database keeps every
entry balanced and refuses changes), booked through operations.py by the other modules
(shared assets, contracts)."""

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields

from wijknet.platform.modules import Module


class LedgerSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    public_page = fields.Boolean(load_default=False, metadata={"label": _l("Show the neighbourhood's money on a public page")})


module = Module(
    name="ledger",
    label=_l("Neighbourhood ledger (wijkboekhouding)"),
    description=_l("The lab's money in plain language: every euro in and out, per contract and per asset."),
    settings=LedgerSettings,
    models="wijknet.tenants.ledger.models",
    starter_kit="wijknet.tenants.ledger.operations:copy_starter_accounts",
)
