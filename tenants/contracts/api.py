"""Contracts over the API: /t/<slug>/api/v1/contracts/... (contracts, their steps, approvals,
the members' vote, the history, the OCDS release). Members' Bearer token; the operations
decide who may do what (administrators make, propose, approve and move; members vote)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import func, select

from wijknet.platform.api_blueprint import Blueprint
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.paging import page_with_total
from wijknet.platform.tenancy.routing import current_tenant, tenant_db
from wijknet.tenants.core.access import access, current_member, role
from wijknet.tenants.core.idempotency import once_per_key
from wijknet.tenants.core.models import Organisation

from . import operations as ops
from .access import contracts_settings, get_contract
from .models import BudgetLine, Contract, Document, Milestone, OrganisationContact, ProgressReport, Transition, Vote
from .ocds import release
from .schemas import (
    ContactIn,
    ContractError,
    ContractIn,
    DocumentIn,
    MilestoneIncomeIn,
    MoneyIn,
    OrganisationIn,
    ProgressIn,
    VoteIn,
)

blp = Blueprint(
    "contracts_api",
    __name__,
    url_prefix="/t/<slug>/api/v1/contracts",
    description="Wijkbedrijf contracts: lifecycle, approvals, the members' vote, OCDS export.",
)
ADMINS = role("admin")


class BudgetLineOut(Schema):
    name = fields.String()
    amount_cents = fields.Integer()


class MilestoneOut(Schema):
    id = fields.Integer()
    title = fields.String()
    due_on = fields.Date(allow_none=True)
    weight_percent = fields.Integer()
    status = fields.String()
    payment_cents = fields.Integer(allow_none=True)


class ContractOut(Schema):
    id = fields.Integer()
    title = fields.String()
    purpose = fields.String()
    counterparty_id = fields.Integer(allow_none=True)
    contract_type = fields.String()
    value_cents = fields.Integer()
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    status = fields.String()
    approvers_required = fields.Integer()
    approvals = fields.Integer()
    vote_required = fields.Boolean()
    vote_closes_at = fields.DateTime(allow_none=True)
    vote_closed_at = fields.DateTime(allow_none=True)
    vote_passed = fields.Boolean(allow_none=True)
    progress_percent = fields.Integer()
    signed_on = fields.Date(allow_none=True)
    sroi_percent = fields.Integer(allow_none=True)
    sroi_hours = fields.Integer(allow_none=True)
    sroi_participants = fields.Integer(allow_none=True)
    budget_lines = fields.List(fields.Nested(BudgetLineOut))
    milestones = fields.List(fields.Nested(MilestoneOut))


class TransitionOut(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor_member_id = fields.Integer(allow_none=True)
    reason = fields.String()
    at = fields.DateTime()


class ContractStepIn(Schema):
    class Meta:
        unknown = EXCLUDE

    to = fields.String(
        required=True,
        validate=validate.OneOf(("proposed", "draft", "signed", "active", "completed", "terminated")),
        metadata={"description": "proposed (propose a draft), draft (withdraw), signed, active, completed, terminated"},
    )
    reason = fields.String(load_default="")


class VoteOut(Schema):
    open = fields.Boolean()
    closes_at = fields.DateTime(allow_none=True)
    my_choice = fields.String(allow_none=True)
    results = fields.Dict(allow_none=True, metadata={"description": "for, against, abstain, passed: only once the vote closed"})


def _out(session, contract: Contract) -> dict:
    return {
        **{c.key: getattr(contract, c.key) for c in Contract.__table__.columns if c.key in ContractOut._declared_fields},
        "approvals": ops.approvals_of(session, contract),
        "vote_required": contract.needs_vote(),
        "progress_percent": ops.progress_percent(session, contract),
        "budget_lines": session.scalars(
            select(BudgetLine).where(BudgetLine.contract_id == contract.id).order_by(BudgetLine.id)
        ).all(),
        "milestones": session.scalars(select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.id)).all(),
    }


NEWEST_FIRST = select(Contract).order_by(Contract.id.desc())


@blp.route("/")
class Contracts(MethodView):
    @blp.response(200, ContractOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The lab's contracts, newest first."""
        session = tenant_db()
        rows, pagination_parameters.item_count = page_with_total(
            session,
            NEWEST_FIRST,
            first=pagination_parameters.first_item,
            size=pagination_parameters.page_size,
        )
        return [_out(session, contract) for contract in rows]

    @access(ADMINS)
    @once_per_key("contracts.contract.create")
    @blp.arguments(ContractIn)
    @blp.response(201, ContractOut)
    def post(self, data):
        """A draft contract (administrators). Amounts in cents; budget lines and milestones as lists."""
        session = tenant_db()
        return _out(session, ops.create_contract(session, current_member(), data, contracts_settings()))


@blp.route("/<int:contract_id>")
class OneContract(MethodView):
    @blp.response(200, ContractOut)
    def get(self, contract_id: int):
        """One contract, with its approvals, vote state and progress."""
        session = tenant_db()
        return _out(session, get_contract(session, contract_id))

    @access(ADMINS)
    @blp.arguments(ContractIn)
    @blp.response(200, ContractOut)
    def put(self, data, contract_id: int):
        """Change a draft as a whole (administrators)."""
        session = tenant_db()
        contract = get_contract(session, contract_id, for_update=True)
        return _out(session, ops.update_contract(session, contract, current_member(), data, contracts_settings()))


@blp.route("/<int:contract_id>/transitions")
class Transitions(MethodView):
    @blp.response(200, TransitionOut(many=True))
    def get(self, contract_id: int):
        """Every status change: who, when, why."""
        session = tenant_db()
        contract = get_contract(session, contract_id)
        return session.scalars(select(Transition).where(Transition.contract_id == contract.id).order_by(Transition.id)).all()

    @access(ADMINS)
    @blp.arguments(ContractStepIn)
    @blp.response(200, ContractOut)
    def post(self, data, contract_id: int):
        """A step (administrators): propose, withdraw to draft, sign, start, complete, terminate.
        Approval is not a step: it follows from the approvals and the vote (409 otherwise)."""
        session, member = tenant_db(), current_member()
        contract = get_contract(session, contract_id, for_update=True)
        if data["to"] == "proposed":
            ops.propose(session, contract, member, contracts_settings(), data["reason"])
        elif data["to"] == "draft":
            ops.withdraw(session, contract, member, data["reason"])
        else:
            ops.move(session, contract, member, data["to"], data["reason"])
        return _out(session, contract)


@blp.route("/<int:contract_id>/approvals")
class Approvals(MethodView):
    @access(ADMINS)
    @blp.response(200, ContractOut)
    def post(self, contract_id: int):
        """Your approval (administrators other than the proposer)."""
        session = tenant_db()
        contract = get_contract(session, contract_id, for_update=True)
        return _out(session, ops.approve(session, contract, current_member()))


@blp.route("/<int:contract_id>/vote")
class MembersVote(MethodView):
    @blp.response(200, VoteOut)
    def get(self, contract_id: int):
        """Whether a vote is open, your own choice, and the results once it closed."""
        session, member = tenant_db(), current_member()
        contract = get_contract(session, contract_id)
        mine = session.scalar(select(Vote.choice).where(Vote.contract_id == contract.id, Vote.member_id == member.id))
        return {
            "open": contract.vote_opened_at is not None and contract.vote_closed_at is None,
            "closes_at": contract.vote_closes_at,
            "my_choice": mine,
            "results": ops.results(session, contract),
        }

    @blp.arguments(VoteIn)
    @blp.response(200, VoteOut)
    def put(self, data, contract_id: int):
        """Vote for, against or abstain; vote again to change it, until the vote closes."""
        session = tenant_db()
        contract = get_contract(session, contract_id, for_update=True)
        ops.cast_vote(session, contract, current_member(), data["choice"])
        return self.get(contract_id)


@blp.route("/<int:contract_id>/vote/close")
class CloseVote(MethodView):
    @access(ADMINS)
    @blp.response(200, ContractOut)
    def post(self, contract_id: int):
        """Count the vote once its closing time has passed (administrators)."""
        session = tenant_db()
        contract = get_contract(session, contract_id, for_update=True)
        return _out(session, ops.close_vote(session, contract, actor=current_member()))


class ExpenseIn(MoneyIn):
    confirm_overspend = fields.Boolean(load_default=False, metadata={"description": "book it even beyond the budget line"})


class BookedEntryOut(Schema):
    id = fields.Integer()
    description = fields.String()
    booked_at = fields.DateTime()


class BudgetOut(Schema):
    budget_line_id = fields.Integer()
    name = fields.String()
    budget_cents = fields.Integer()
    spent_cents = fields.Integer()


@blp.route("/<int:contract_id>/budget")
class Budget(MethodView):
    @blp.response(200, BudgetOut(many=True))
    def get(self, contract_id: int):
        """Budget against actual spending, per budget line."""
        session = tenant_db()
        contract = get_contract(session, contract_id)
        spent = ops.spent_per_line(session, contract)
        lines = session.scalars(select(BudgetLine).where(BudgetLine.contract_id == contract.id).order_by(BudgetLine.id)).all()
        return [
            {"budget_line_id": b.id, "name": b.name, "budget_cents": b.amount_cents, "spent_cents": spent.get(b.id, 0)}
            for b in lines
        ]


@blp.route("/<int:contract_id>/expenses")
class Expenses(MethodView):
    @access(ADMINS)
    @once_per_key("contracts.expense.book")
    @blp.arguments(ExpenseIn)
    @blp.response(201, BookedEntryOut)
    def post(self, data, contract_id: int):
        """Book money spent on a budget line (administrators). Beyond the line's budget: 409
        `contracts.overspend` with the amount, unless `confirm_overspend` is true."""
        session = tenant_db()
        contract = get_contract(session, contract_id, for_update=True)
        confirm = data.pop("confirm_overspend")
        return ops.book_expense(session, contract, current_member(), data, confirm_overspend=confirm)


@blp.route("/<int:contract_id>/income")
class Income(MethodView):
    @access(ADMINS)
    @once_per_key("contracts.income.book")
    @blp.arguments(MilestoneIncomeIn)
    @blp.response(201, BookedEntryOut)
    def post(self, data, contract_id: int):
        """Book money received for the contract (administrators)."""
        session = tenant_db()
        return ops.book_income(session, get_contract(session, contract_id, for_update=True), current_member(), data)


class ReportOut(Schema):
    id = fields.Integer()
    milestone_id = fields.Integer(allow_none=True)
    month = fields.Date(allow_none=True)
    text = fields.String()
    hours = fields.Integer()
    participants = fields.Integer()
    local_cents = fields.Integer()
    created_at = fields.DateTime()


class SocialReturnOut(Schema):
    hours = fields.Integer()
    hours_committed = fields.Integer(allow_none=True)
    participants = fields.Integer(metadata={"description": "the most in one report"})
    participants_committed = fields.Integer(allow_none=True)
    local_cents = fields.Integer()
    percent = fields.Float(metadata={"description": "local work as a share of the value"})
    percent_committed = fields.Integer(allow_none=True)


class OrganisationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    website = fields.String(allow_none=True)


class ContactOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    member_id = fields.Integer(allow_none=True)


@blp.route("/<int:contract_id>/progress")
class Progress(MethodView):
    @blp.response(200, ReportOut(many=True))
    def get(self, contract_id: int):
        """The progress reports, newest first."""
        session = tenant_db()
        contract = get_contract(session, contract_id)
        return session.scalars(
            select(ProgressReport).where(ProgressReport.contract_id == contract.id).order_by(ProgressReport.id.desc())
        ).all()

    @access(ADMINS)
    @blp.arguments(ProgressIn)
    @blp.response(201, ReportOut)
    def post(self, data, contract_id: int):
        """Report progress (administrators): text, a milestone and its new status or a month,
        hours of local work, participants, euros spent on local work (photos: the page)."""
        session = tenant_db()
        return ops.report_progress(session, get_contract(session, contract_id, for_update=True), current_member(), data)


@blp.route("/<int:contract_id>/social-return")
class SocialReturn(MethodView):
    @blp.response(200, SocialReturnOut)
    def get(self, contract_id: int):
        """Social return realised against what was committed."""
        session = tenant_db()
        found = ops.social_return(session, get_contract(session, contract_id))
        return {
            "hours": found["hours"][0],
            "hours_committed": found["hours"][1],
            "participants": found["participants"][0],
            "participants_committed": found["participants"][1],
            "local_cents": found["local_cents"],
            "percent": found["percent"][0],
            "percent_committed": found["percent"][1],
        }


@blp.route("/organisations")
class Organisations(MethodView):
    @blp.response(200, OrganisationOut(many=True))
    def get(self):
        """The directory of organisations the lab works with."""
        return tenant_db().scalars(select(Organisation).order_by(func.lower(Organisation.name))).all()

    @access(ADMINS)
    @blp.arguments(OrganisationIn)
    @blp.response(201, OrganisationOut)
    def post(self, data):
        """Add an organisation (administrators)."""
        return ops.create_organisation(tenant_db(), current_member(), data)


@blp.route("/organisations/<int:organisation_id>/contacts")
class Contacts(MethodView):
    @blp.response(200, ContactOut(many=True))
    def get(self, organisation_id: int):
        """An organisation's contact persons."""
        session = tenant_db()
        found = _organisation(session, organisation_id)
        return session.scalars(
            select(OrganisationContact).where(OrganisationContact.organisation_id == found.id).order_by(OrganisationContact.id)
        ).all()

    @access(ADMINS)
    @blp.arguments(ContactIn)
    @blp.response(201, ContactOut)
    def post(self, data, organisation_id: int):
        """Add a contact person (administrators); `member_id` when they are a member."""
        session = tenant_db()
        return ops.add_contact(session, _organisation(session, organisation_id), current_member(), data)


def _organisation(session, organisation_id: int) -> Organisation:
    found = session.get(Organisation, organisation_id)
    if found is None:
        raise ContractError(_l("This organisation does not exist."), status=404, code="contracts.organisation_not_found")
    return found


class DocumentOut(Schema):
    id = fields.Integer()
    title = fields.String()
    url = fields.String()
    created_at = fields.DateTime()


@blp.route("/<int:contract_id>/documents")
class Documents(MethodView):
    @blp.response(200, DocumentOut(many=True))
    def get(self, contract_id: int):
        """The contract's documents (by address)."""
        session = tenant_db()
        contract = get_contract(session, contract_id)
        return session.scalars(select(Document).where(Document.contract_id == contract.id).order_by(Document.id)).all()

    @access(ADMINS)
    @blp.arguments(DocumentIn)
    @blp.response(201, DocumentOut)
    def post(self, data, contract_id: int):
        """Add a document by its address (administrators)."""
        session = tenant_db()
        return ops.add_document(session, get_contract(session, contract_id, for_update=True), current_member(), data)


@blp.route("/<int:contract_id>/ocds")
class Ocds(MethodView):
    @blp.response(200, description="An OCDS 1.1 release (JSON), for the municipality's open data.")
    def get(self, contract_id: int):
        """The contract as an Open Contracting Data Standard release."""
        session = tenant_db()
        return release(session, get_contract(session, contract_id), current_tenant())
