"""What people send about contracts, one marshmallow schema per action, and the module's
settings (the governance defaults a contract copies when it is made)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.refusals import DomainError, load_input
from wijknet.tenants.core.models import ORGANISATION_KINDS

from .models import CONTRACT_TYPES, MILESTONE_STATUSES, VOTE_CHOICES

MAX_VALUE_CENTS = 10**12  # € 10 billion: beyond any neighbourhood contract


class ContractError(DomainError):
    code = "contracts"


class BudgetLineIn(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(
        required=True,
        validate=validate.Length(1, 120, error=_l("A name of 1 to 120 characters.")),
        error_messages={"required": _l("Give the budget line a name.")},
    )
    amount_cents = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(0, MAX_VALUE_CENTS, error=_l("An amount of € 0 or more.")),
        error_messages={"invalid": _l("An amount in whole cents."), "required": _l("An amount in whole cents.")},
    )


class MilestoneIn(Schema):
    class Meta:
        unknown = EXCLUDE

    title = fields.String(
        required=True,
        validate=validate.Length(2, 200, error=_l("A title of 2 to 200 characters.")),
        error_messages={"required": _l("Give the milestone a title.")},
    )
    due_on = fields.Date(load_default=None, allow_none=True, error_messages={"invalid": _l("A date like 2027-03-31.")})
    weight_percent = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(1, 100, error=_l("A weight from 1 to 100 %.")),
        error_messages={"invalid": _l("A weight from 1 to 100 %."), "required": _l("A weight from 1 to 100 %.")},
    )
    payment_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(0, MAX_VALUE_CENTS, error=_l("An amount of € 0 or more.")),
        error_messages={"invalid": _l("An amount in whole cents.")},
    )


class ContractIn(Schema):
    """A new contract, or the whole of a draft."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(
        required=True,
        validate=validate.Length(3, 200, error=_l("A title of 3 to 200 characters.")),
        error_messages={"required": _l("Give the contract a title.")},
    )
    purpose = fields.String(load_default="", validate=validate.Length(max=5000, error=_l("At most 5000 characters.")))
    counterparty_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    contract_type = fields.String(
        load_default="other", validate=validate.OneOf(CONTRACT_TYPES, error=_l("Choose a type of contract."))
    )
    value_cents = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(0, MAX_VALUE_CENTS, error=_l("A value of € 0 or more.")),
        error_messages={
            "invalid": _l("A value in whole cents, like 5000000 for € 50,000."),
            "required": _l("What is the contract worth?"),
        },
    )
    starts_on = fields.Date(load_default=None, allow_none=True, error_messages={"invalid": _l("A date like 2027-01-01.")})
    ends_on = fields.Date(load_default=None, allow_none=True, error_messages={"invalid": _l("A date like 2027-12-31.")})
    sroi_percent = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(0, 100, error=_l("A percentage from 0 to 100.")),
        error_messages={"invalid": _l("A percentage from 0 to 100.")},
        metadata={"description": "social return: this share of the value goes to local work"},
    )
    sroi_hours = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(0, 10_000_000, error=_l("A number of hours, 0 or more.")),
        error_messages={"invalid": _l("A number of hours, 0 or more.")},
    )
    sroi_participants = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(0, 100_000, error=_l("A number of people, 0 or more.")),
        error_messages={"invalid": _l("A number of people, 0 or more.")},
    )
    budget_lines = fields.List(fields.Nested(BudgetLineIn), load_default=list, validate=validate.Length(max=50))
    milestones = fields.List(fields.Nested(MilestoneIn), load_default=list, validate=validate.Length(max=50))

    @pre_load
    def _tidy(self, data, **_kw):
        data = dict(data)
        for key in ("title", "purpose"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip()
        for key in ("starts_on", "ends_on", "counterparty_id", "sroi_percent", "sroi_hours", "sroi_participants"):
            if data.get(key) == "":
                data[key] = None
        return data

    @validates_schema
    def _whole(self, data, **_kw):
        errors = {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            errors["ends_on"] = [_l("The end lies before the start.")]
        milestones = data.get("milestones") or []
        if milestones and sum(m["weight_percent"] for m in milestones) != 100:
            total = sum(m["weight_percent"] for m in milestones)
            errors["milestones"] = [_l("The milestones' weights add up to %(total)d %%, not 100 %%.", total=total)]
        if errors:
            raise ValidationError(errors)


class ReasonIn(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(load_default="", validate=validate.Length(max=1000, error=_l("At most 1000 characters.")))


class VoteIn(Schema):
    class Meta:
        unknown = EXCLUDE

    choice = fields.String(
        required=True,
        validate=validate.OneOf(VOTE_CHOICES, error=_l("For, against or abstain.")),
        error_messages={"required": _l("For, against or abstain.")},
    )


class IncomeIn(Schema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(1, MAX_VALUE_CENTS, error=_l("An amount of more than € 0.")),
        error_messages={"invalid": _l("An amount in whole cents."), "required": _l("An amount in whole cents.")},
    )
    description = fields.String(
        required=True,
        validate=validate.Length(3, 200, error=_l("Describe it in 3 to 200 characters.")),
        error_messages={"required": _l("Describe it in 3 to 200 characters.")},
    )

    @pre_load
    def _tidy(self, data, **_kw):
        data = dict(data)
        if isinstance(data.get("description"), str):
            data["description"] = data["description"].strip()
        return data


class MilestoneIncomeIn(IncomeIn):
    milestone_id = fields.Integer(
        load_default=None, allow_none=True, strict=False, metadata={"description": "the milestone this payment is for"}
    )


class MoneyIn(IncomeIn):
    budget_line_id = fields.Integer(
        required=True,
        strict=False,
        error_messages={"invalid": _l("Choose a budget line."), "required": _l("Choose a budget line.")},
    )


class ProgressIn(Schema):
    """A progress report: what was done, for which milestone or month, and the social return."""

    class Meta:
        unknown = EXCLUDE

    text = fields.String(
        required=True,
        validate=validate.Length(3, 5000, error=_l("Describe it in 3 to 5000 characters.")),
        error_messages={"required": _l("Describe it in 3 to 5000 characters.")},
    )
    milestone_id = fields.Integer(load_default=None, allow_none=True, strict=False)
    milestone_status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(MILESTONE_STATUSES, error=_l("Planned, under way or done."))
    )
    month = fields.Date(load_default=None, allow_none=True, error_messages={"invalid": _l("A date like 2027-03-01.")})
    hours = fields.Integer(
        load_default=0,
        strict=False,
        validate=validate.Range(0, 1_000_000, error=_l("A number of hours, 0 or more.")),
        error_messages={"invalid": _l("A number of hours, 0 or more.")},
    )
    participants = fields.Integer(
        load_default=0,
        strict=False,
        validate=validate.Range(0, 100_000, error=_l("A number of people, 0 or more.")),
        error_messages={"invalid": _l("A number of people, 0 or more.")},
    )
    local_cents = fields.Integer(
        load_default=0,
        strict=False,
        validate=validate.Range(0, MAX_VALUE_CENTS, error=_l("An amount of € 0 or more.")),
        error_messages={"invalid": _l("An amount in whole cents.")},
    )

    @pre_load
    def _tidy(self, data, **_kw):
        data = dict(data)
        for key in ("milestone_id", "milestone_status", "month"):
            if data.get(key) == "":
                data[key] = None
        for key in ("hours", "participants", "local_cents"):
            if data.get(key) == "":
                data[key] = 0
        if isinstance(data.get("text"), str):
            data["text"] = data["text"].strip()
        return data


class DocumentIn(Schema):
    class Meta:
        unknown = EXCLUDE

    title = fields.String(
        required=True,
        validate=validate.Length(2, 200, error=_l("A title of 2 to 200 characters.")),
        error_messages={"required": _l("A title of 2 to 200 characters.")},
    )
    url = fields.String(
        required=True,
        validate=validate.URL(schemes={"http", "https"}, error=_l("An address like https://example.nl.")),
        error_messages={"required": _l("An address like https://example.nl.")},
    )


class OrganisationIn(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(
        required=True,
        validate=validate.Length(2, 120, error=_l("A name of 2 to 120 characters.")),
        error_messages={"required": _l("A name of 2 to 120 characters.")},
    )
    kind = fields.String(
        load_default="other", validate=validate.OneOf(ORGANISATION_KINDS, error=_l("Choose a kind of organisation."))
    )
    email = fields.String(
        load_default=None, allow_none=True, validate=validate.Email(error=_l("An email address like info@example.nl."))
    )
    phone = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40, error=_l("At most 40 characters."))
    )
    website = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.URL(schemes={"http", "https"}, error=_l("An address like https://example.nl.")),
    )

    @pre_load
    def _tidy(self, data, **_kw):
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in dict(data).items()}
        for key in ("email", "phone", "website"):
            if data.get(key) == "":
                data[key] = None
        return data


class ContactIn(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(
        required=True,
        validate=validate.Length(2, 120, error=_l("A name of 2 to 120 characters.")),
        error_messages={"required": _l("A name of 2 to 120 characters.")},
    )
    role = fields.String(load_default="", validate=validate.Length(max=120, error=_l("At most 120 characters.")))
    email = fields.String(
        load_default=None, allow_none=True, validate=validate.Email(error=_l("An email address like info@example.nl."))
    )
    phone = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40, error=_l("At most 40 characters."))
    )
    member_id = fields.Integer(load_default=None, allow_none=True, strict=False)

    @pre_load
    def _tidy(self, data, **_kw):
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in dict(data).items()}
        for key in ("email", "phone", "member_id"):
            if data.get(key) == "":
                data[key] = None
        return data


def load(schema: type[Schema], data, *, code: str) -> dict:
    """`schema` applied to `data`: the clean values, or an ContractError with a message per field."""
    return load_input(schema(), data, error=ContractError, code=code)
