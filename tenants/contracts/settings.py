"""Contracts' settings (the admin's form is derived from this). Light on purpose: a
`wijknet` command reads the defaults without importing the models (issue 18)."""

from marshmallow import EXCLUDE, Schema, fields, validate

from wijknet.platform.lazy_text import lazy_gettext as _l


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
    quorum_percent = fields.Integer(
        load_default=30,
        validate=validate.Range(0, 100, error=_l("A percentage from 0 to 100.")),
        error_messages={"invalid": _l("A percentage from 0 to 100.")},
        metadata={"label": _l("Quorum of a members' vote, in percent of the members")},
    )
    vote_days = fields.Integer(
        load_default=7,
        validate=validate.Range(1, 60, error=_l("From 1 to 60 days.")),
        error_messages={"invalid": _l("From 1 to 60 days.")},
        metadata={"label": _l("Days a members' vote stays open")},
    )
    budget_must_match = fields.Boolean(
        load_default=True, metadata={"label": _l("Budget lines must add up to the contract's value")}
    )
