"""Wijkboekhouding: the lab's transparent double-entry ledger (SPEC §2.3 "ledger").

Accounts and an append-only, double-entry journal (models.py; the database keeps every
entry balanced and refuses changes), booked through operations.py by the other modules
(shared assets, contracts). Pages (views.py): an overview with balances, the journal, a
CSV export for administrators, and a public page a lab may switch on; the API reads the same."""

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.modules import Module, NavEntry

module = Module(
    name="ledger",
    label=_l("Neighbourhood ledger (wijkboekhouding)"),
    description=_l("The lab's money in plain language: every euro in and out, per contract and per asset."),
    settings="wijknet.tenants.ledger.schemas:LedgerSettings",
    pages=("wijknet.tenants.ledger.views:bp",),
    api=("wijknet.tenants.ledger.api:blp",),
    models="wijknet.tenants.ledger.models",
    starter_kit="wijknet.tenants.ledger.operations:copy_starter_accounts",
    navigation=(NavEntry("ledger.index", _l("Neighbourhood ledger"), role="member"),),
    tile="ledger/_tile.html",
    permissions={"read": "member", "export": "admin"},
)
