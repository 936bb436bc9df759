"""Wijkbedrijf contracts with the municipality, housing corporations and others, approved
democratically and followed milestone by milestone (SPEC §2.3 "contracts").

models.py (contracts, budget lines, milestones, transitions, approvals, votes),
schemas.py (input and the governance defaults), operations.py (lifecycle and governance),
ocds.py (a contract as an OCDS release), views.py and api.py (thin)."""

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.modules import Module, NavEntry

module = Module(
    name="contracts",
    label=_l("Wijkbedrijf contracts"),
    description=_l("Contracts of the neighbourhood company, approved by the members and followed step by step."),
    settings="wijknet.tenants.contracts.settings:ContractSettings",
    pages=("wijknet.tenants.contracts.views:bp",),
    api=("wijknet.tenants.contracts.api:blp",),
    navigation=(NavEntry("contracts.index", _l("Contracts"), role="member"),),
    tile="contracts/_tile.html",
    demo_seed="wijknet.tenants.contracts.demo:seed",
    permissions={"read": "member", "vote": "member", "make, propose, approve": "admin"},
    models="wijknet.tenants.contracts.models",
    audit_events={
        "contracts.contract.created": _l("made a draft contract"),
        "contracts.contract.updated": _l("changed a draft contract"),
        "contracts.contract.moved": _l("moved a contract to its next step"),
        "contracts.contract.approved_by": _l("approved a contract"),
        "contracts.vote.cast": _l("voted on a contract"),
        "contracts.vote.closed": _l("closed the members' vote on a contract"),
        "contracts.expense.booked": _l("booked an expense of a contract"),
        "contracts.income.booked": _l("booked income of a contract"),
        "contracts.progress.reported": _l("reported progress on a contract"),
        "contracts.organisation.created": _l("added an organisation"),
        "contracts.contact.added": _l("added a contact person"),
        "contracts.document.added": _l("added a document to a contract"),
    },
)
