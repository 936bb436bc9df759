"""Wijkbedrijf contracts with the municipality, housing corporations and others, approved
democratically and followed milestone by milestone (SPEC §2.3 "contracts").

Declared here with its settings so labs can already choose it; its pages, tables and API
arrive with the contracts work (issue "Wijkbedrijf contracts")."""

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, validate

from wijknet.platform.modules import Module


class ContractSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    approvers_required = fields.Integer(
        load_default=2,
        validate=validate.Range(1, 20, error=_l("A number from 1 to 20.")),
        error_messages={"invalid": _l("A number from 1 to 20.")},
        metadata={"label": _l("Approvers a contract needs")},
    )
    vote_threshold_cents = fields.Integer(
        load_default=5_000_000,
        validate=validate.Range(0, 10**13, error=_l("An amount in cents, 0 or more.")),
        error_messages={"invalid": _l("An amount in cents, 0 or more.")},
        metadata={"label": _l("Above this value (in cents) the members vote")},
    )


module = Module(
    name="contracts",
    label=_l("Wijkbedrijf contracts"),
    description=_l("Contracts of the neighbourhood company, approved by the members and followed step by step."),
    settings=ContractSettings,
)
