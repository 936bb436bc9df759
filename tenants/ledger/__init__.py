"""Wijkboekhouding: the lab's transparent double-entry ledger (SPEC §2.3 "ledger").

Accounts and an append-only, double-entry journal (models.py; the database keeps every
entry balanced and refuses changes), booked through operations.py by the other modules
(shared assets, contracts). Pages (views.py): an overview with balances, the journal, a
CSV export for administrators, and a public page a lab may switch on; the API reads the same."""

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields

from wijknet.platform.modules import Module, NavEntry


class LedgerSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    public_page = fields.Boolean(load_default=False, metadata={"label": _l("Show the neighbourhood's money on a public page")})


module = Module(
    name="ledger",
    label=_l("Neighbourhood ledger (wijkboekhouding)"),
    description=_l("The lab's money in plain language: every euro in and out, per contract and per asset."),
    settings=LedgerSettings,
    pages=("wijknet.tenants.ledger.views:bp",),
    api=("wijknet.tenants.ledger.api:blp",),
    models="wijknet.tenants.ledger.models",
    starter_kit="wijknet.tenants.ledger.operations:copy_starter_accounts",
    navigation=(NavEntry("ledger.index", _l("Neighbourhood ledger"), role="member"),),
    tile="ledger/_tile.html",
    permissions={"read": "member", "export": "admin"},
)
