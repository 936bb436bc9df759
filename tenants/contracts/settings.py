"""Contracts' settings (the admin's form is derived from this). Light on purpose: a
`wijknet` command reads the defaults without importing the models (issue 18)."""

from marshmallow import EXCLUDE, Schema, fields

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.settings_fields import whole_number


class ContractSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    approvers_required = whole_number(
        default=2, low=1, high=20, message=_l("A number from 1 to 20."), label=_l("Approvers a contract needs")
    )
    vote_threshold_cents = whole_number(
        default=5_000_000,
        low=0,
        high=10**13,
        message=_l("An amount in cents, 0 or more."),
        label=_l("Above this value (in cents) the members vote"),
    )
    quorum_percent = whole_number(
        default=30,
        low=0,
        high=100,
        message=_l("A percentage from 0 to 100."),
        label=_l("Quorum of a members' vote, in percent of the members"),
    )
    vote_days = whole_number(
        default=7, low=1, high=60, message=_l("From 1 to 60 days."), label=_l("Days a members' vote stays open")
    )
    budget_must_match = fields.Boolean(
        load_default=True, metadata={"label": _l("Budget lines must add up to the contract's value")}
    )
