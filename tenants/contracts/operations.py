"""Wijkbedrijf contracts, one function per action: make and change a draft, propose it,
approve it (N of M administrators, never the proposer), the members' vote above the value
threshold (one vote each, changeable until it closes; quorum and majority), and the steps
after approval (sign, start, complete, terminate).

Every status change goes through `_move`, which refuses what TRANSITIONS does not allow
(409) and records who, when and why. "approved" is never asked for: it is reached when the
contract's policy is met (`_approve_when_met`)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.tenants.core.access import has_rank
from wijknet.tenants.core.models import Member, Organisation
from wijknet.tenants.core.operations import record
from wijknet.tenants.core.time import tenant_today
from wijknet.tenants.ledger.models import Account, LedgerEntry, LedgerLine
from wijknet.tenants.ledger.operations import Line, ensure_account, post_entry

from .models import (
    TRANSITIONS,
    Approval,
    BudgetLine,
    Contract,
    Document,
    Milestone,
    OrganisationContact,
    ProgressReport,
    Transition,
    Vote,
)
from .schemas import (
    ContactIn,
    ContractError,
    ContractIn,
    DocumentIn,
    MilestoneIncomeIn,
    MoneyIn,
    OrganisationIn,
    ProgressIn,
    ReasonIn,
    VoteIn,
    load,
)

MANUAL_STEPS = ("signed", "active", "completed", "terminated")  # what people ask for directly
STATUS_WORDS = {
    "draft": _l("a draft"),
    "proposed": _l("proposed"),
    "approved": _l("approved"),
    "signed": _l("signed"),
    "active": _l("running"),
    "completed": _l("completed"),
    "terminated": _l("terminated"),
}


def _amount(cents: int) -> str:
    """Cents as an amount in the request's language (12.345,00 in Dutch); plain outside a request."""
    from flask import has_request_context

    from wijknet.platform.i18n import euros

    return euros(cents) if has_request_context() else f"{cents / 100:,.2f}"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def _admin_only(member: Member) -> None:
    if not has_rank(member, "admin"):
        raise ContractError(_l("Only the lab's administrators (its board) can do that."), status=403, code="contracts.admin_only")


def _member_only(member: Member | None) -> None:
    if member is None or member.left_at is not None:
        raise ContractError(_l("Only members of the lab can do that."), status=403, code="contracts.members_only")


def _values(session: Session, data: dict, settings: dict) -> dict:
    values = load(ContractIn, data, code="contracts.contract_invalid")
    if values["counterparty_id"] is not None and session.get(Organisation, values["counterparty_id"]) is None:
        raise ContractError.on_field(
            "counterparty_id", _l("Choose an organisation of this living lab."), code="contracts.contract_invalid"
        )
    lines = values["budget_lines"]
    if settings["budget_must_match"] and lines and sum(line["amount_cents"] for line in lines) != values["value_cents"]:
        total = sum(line["amount_cents"] for line in lines)
        raise ContractError.on_field(
            "budget_lines",
            _l(
                "The budget lines add up to € %(total)s, not to the contract's value of € %(value)s.",
                total=_amount(total),
                value=_amount(values["value_cents"]),
            ),
            code="contracts.budget_mismatch",
        )
    return values


def _replace_parts(session: Session, contract: Contract, values: dict) -> None:
    session.execute(delete(BudgetLine).where(BudgetLine.contract_id == contract.id))
    session.execute(delete(Milestone).where(Milestone.contract_id == contract.id))
    session.add_all(BudgetLine(contract_id=contract.id, **line) for line in values["budget_lines"])
    session.add_all(Milestone(contract_id=contract.id, **milestone) for milestone in values["milestones"])


def create_contract(session: Session, admin: Member, data: dict, settings: dict) -> Contract:
    """A draft, with the lab's governance policy of today copied onto it."""
    _admin_only(admin)
    values = _values(session, data, settings)
    contract = Contract(
        **{k: v for k, v in values.items() if k not in ("budget_lines", "milestones")},
        approvers_required=settings["approvers_required"],
        vote_threshold_cents=settings["vote_threshold_cents"],
        quorum_percent=settings["quorum_percent"],
        status="draft",
        created_by=admin.id,
    )
    session.add(contract)
    session.flush()
    _replace_parts(session, contract, values)
    session.add(Transition(contract_id=contract.id, from_status=None, to_status="draft", actor_member_id=admin.id))
    session.flush()
    record(session, "contracts.contract.created", actor_member_id=admin.id, contract_id=contract.id)
    return contract


def update_contract(session: Session, contract: Contract, admin: Member, data: dict, settings: dict) -> Contract:
    """A draft changes as a whole; once proposed it only changes by going back to draft."""
    _admin_only(admin)
    if contract.status != "draft":
        raise ContractError(_l("Only a draft can be changed."), status=409, code="contracts.not_a_draft")
    values = _values(session, data, settings)
    for key, value in values.items():
        if key not in ("budget_lines", "milestones"):
            setattr(contract, key, value)
    _replace_parts(session, contract, values)
    session.flush()
    record(session, "contracts.contract.updated", actor_member_id=admin.id, contract_id=contract.id)
    return contract


def _move(session: Session, contract: Contract, to: str, actor: Member | None, reason: str = "") -> Contract:
    if to not in TRANSITIONS[contract.status]:
        raise ContractError(
            _l(
                "A contract that is %(now)s cannot become %(to)s.", now=STATUS_WORDS[contract.status], to=STATUS_WORDS.get(to, to)
            ),
            status=409,
            code="contracts.illegal_transition",
        )
    session.add(
        Transition(
            contract_id=contract.id,
            from_status=contract.status,
            to_status=to,
            actor_member_id=actor.id if actor else None,
            reason=reason,
        )
    )
    before, contract.status = contract.status, to
    session.flush()
    record(
        session,
        "contracts.contract.moved",
        actor_member_id=actor.id if actor else None,
        contract_id=contract.id,
        before=before,
        to=to,
    )
    return contract


def propose(
    session: Session, contract: Contract, admin: Member, settings: dict, reason: str = "", *, now: datetime | None = None
) -> Contract:
    """Put a draft to the approvers; above the threshold the members' vote opens too."""
    _admin_only(admin)
    reason = load(ReasonIn, {"reason": reason}, code="contracts.reason_invalid")["reason"]
    _move(session, contract, "proposed", admin, reason)
    contract.proposed_by = admin.id
    if contract.needs_vote():
        contract.vote_opened_at = _now(now)
        contract.vote_closes_at = _now(now) + timedelta(days=settings["vote_days"])
        contract.vote_closed_at, contract.vote_passed = None, None
    session.flush()
    return contract


def withdraw(session: Session, contract: Contract, admin: Member, reason: str = "") -> Contract:
    """Back to draft: its approvals and votes no longer count (the contract may change)."""
    _admin_only(admin)
    reason = load(ReasonIn, {"reason": reason}, code="contracts.reason_invalid")["reason"]
    _move(session, contract, "draft", admin, reason)
    _reset_decisions(session, contract)
    return contract


def _reset_decisions(session: Session, contract: Contract) -> None:
    session.execute(delete(Approval).where(Approval.contract_id == contract.id))
    session.execute(delete(Vote).where(Vote.contract_id == contract.id))
    contract.vote_opened_at = contract.vote_closes_at = contract.vote_closed_at = None
    contract.vote_passed = None
    session.flush()


def approvals_of(session: Session, contract: Contract) -> int:
    return session.scalar(select(func.count()).select_from(Approval).where(Approval.contract_id == contract.id))


def approve(session: Session, contract: Contract, admin: Member) -> Contract:
    """One administrator's approval. The proposer never approves their own proposal."""
    _admin_only(admin)
    if contract.status != "proposed":
        raise ContractError(_l("Only a proposed contract can be approved."), status=409, code="contracts.not_proposed")
    if contract.proposed_by == admin.id:
        raise ContractError(
            _l("You proposed this contract: others approve it."), status=409, code="contracts.proposer_cannot_approve"
        )
    inserted = session.execute(
        pg_insert(Approval)
        .values(contract_id=contract.id, member_id=admin.id)
        .on_conflict_do_nothing(constraint="uq_contract_approvals_once_per_member")
        .returning(Approval.id)
    ).scalar()
    if inserted is None:
        raise ContractError(_l("You approved this contract already."), status=409, code="contracts.already_approved")
    record(session, "contracts.contract.approved_by", actor_member_id=admin.id, contract_id=contract.id)
    return _approve_when_met(session, contract, admin)


def _approve_when_met(session: Session, contract: Contract, actor: Member | None) -> Contract:
    enough = approvals_of(session, contract) >= contract.approvers_required
    voted = not contract.needs_vote() or contract.vote_passed is True
    if contract.status == "proposed" and enough and voted:
        _move(session, contract, "approved", actor, "the approvers and, where needed, the members agreed")
    return contract


def _vote_open(contract: Contract, now: datetime) -> bool:
    return (
        contract.status == "proposed"
        and contract.vote_opened_at is not None
        and contract.vote_closed_at is None
        and now < contract.vote_closes_at
    )


def cast_vote(session: Session, contract: Contract, member: Member, choice: str, *, now: datetime | None = None) -> Vote:
    """One vote per member; a second call changes it, until the vote closes."""
    _member_only(member)
    choice = load(VoteIn, {"choice": choice}, code="contracts.vote_invalid")["choice"]
    if not _vote_open(contract, _now(now)):
        raise ContractError(_l("There is no open vote on this contract."), status=409, code="contracts.no_open_vote")
    statement = pg_insert(Vote).values(contract_id=contract.id, member_id=member.id, choice=choice, cast_at=_now(now))
    vote_id = session.execute(
        statement.on_conflict_do_update(
            constraint="uq_contract_votes_once_per_member", set_={"choice": choice, "changed_at": _now(now)}
        ).returning(Vote.id)
    ).scalar_one()
    session.flush()
    record(session, "contracts.vote.cast", actor_member_id=member.id, contract_id=contract.id)
    return session.get(Vote, vote_id, populate_existing=True)


def tally(session: Session, contract: Contract) -> dict[str, int]:
    rows = dict(
        session.execute(select(Vote.choice, func.count()).where(Vote.contract_id == contract.id).group_by(Vote.choice)).all()
    )
    return {choice: int(rows.get(choice, 0)) for choice in ("for", "against", "abstain")}


def results(session: Session, contract: Contract) -> dict | None:
    """The outcome, visible once the vote has closed (None before)."""
    if contract.vote_closed_at is None:
        return None
    return {**tally(session, contract), "passed": bool(contract.vote_passed)}


def close_vote(session: Session, contract: Contract, *, actor: Member | None = None, now: datetime | None = None) -> Contract:
    """After its closing time: quorum (votes cast, abstentions included, against the lab's
    members now) and a majority for. Passed, the contract is approved once the approvers
    are enough; failed, it goes back to draft with the reason."""
    moment = _now(now)
    if contract.vote_opened_at is None or contract.vote_closed_at is not None or contract.status != "proposed":
        raise ContractError(_l("There is no open vote on this contract."), status=409, code="contracts.no_open_vote")
    if moment < contract.vote_closes_at:
        raise ContractError(_l("The vote is still open."), status=409, code="contracts.vote_still_open")
    counts = tally(session, contract)
    members = session.scalar(select(func.count()).select_from(Member).where(Member.left_at.is_(None)))
    needed = math.ceil(members * contract.quorum_percent / 100)
    quorum = sum(counts.values()) >= max(needed, 1)
    contract.vote_closed_at, contract.vote_passed = moment, quorum and counts["for"] > counts["against"]
    session.flush()
    record(
        session,
        "contracts.vote.closed",
        actor_member_id=actor.id if actor else None,
        contract_id=contract.id,
        **counts,
        quorum=quorum,
    )
    if contract.vote_passed:
        return _approve_when_met(session, contract, actor)
    reason = "no quorum in the members' vote" if not quorum else "the members voted against"
    _move(session, contract, "draft", actor, reason)
    session.execute(delete(Approval).where(Approval.contract_id == contract.id))  # the votes stay, for the record
    contract.vote_opened_at = contract.vote_closes_at = None
    session.flush()
    return contract


def move(
    session: Session, contract: Contract, admin: Member, to: str, reason: str = "", *, today: date | None = None
) -> Contract:
    """The steps people take after approval: sign, start, complete; terminate at any time."""
    _admin_only(admin)
    reason = load(ReasonIn, {"reason": reason}, code="contracts.reason_invalid")["reason"]
    if to not in MANUAL_STEPS:
        raise ContractError(
            _l("A contract is approved by its approvers and the members, not by hand."),
            status=409,
            code="contracts.illegal_transition",
        )
    _move(session, contract, to, admin, reason)
    if to == "signed":
        contract.signed_on = today or tenant_today()
    if to == "terminated":
        _close_open_vote(contract)
    session.flush()
    return contract


def _close_open_vote(contract: Contract) -> None:
    if contract.vote_opened_at is not None and contract.vote_closed_at is None:
        contract.vote_closed_at, contract.vote_passed = datetime.now(timezone.utc), False


def progress_percent(session: Session, contract: Contract) -> int:
    """Weighted milestones: the weights of those done (an in-progress one counts half)."""
    return progress_of(session, [contract.id]).get(contract.id, 0)


def progress_of(session: Session, contract_ids: list[int]) -> dict[int, int]:
    """{contract id: progress percent} for many contracts in one query (the list pages)."""
    rows = session.execute(
        select(Milestone.contract_id, Milestone.weight_percent, Milestone.status).where(Milestone.contract_id.in_(contract_ids))
    ).all()
    progress: dict[int, float] = {}
    for contract_id, weight, status in rows:
        progress[contract_id] = progress.get(contract_id, 0) + (
            weight if status == "done" else weight / 2 if status == "in_progress" else 0
        )
    return {contract_id: int(value) for contract_id, value in progress.items()}


# --- money: spending and income against the budget, in the ledger ---------------------------------
MONEY_STATUSES = ("signed", "active", "completed")


def _expense_account(session: Session, contract: Contract) -> str:
    ref = f"contract-expenses:{contract.id}"
    ensure_account(session, ref, name=f"Uitgaven: {contract.title}", kind="expense")  # cut to 120 there
    return ref


def _income_account(session: Session, contract: Contract) -> str:
    ref = f"contract-income:{contract.id}"
    ensure_account(session, ref, name=f"Inkomsten: {contract.title}", kind="income")
    return ref


def paid_per_milestone(session: Session, contract: Contract) -> dict[int, int]:
    """{milestone id: cents received for it}."""
    rows = session.execute(
        select(LedgerLine.subject, -func.sum(LedgerLine.amount_cents))
        .join(Account, Account.id == LedgerLine.account_id)
        .where(Account.ref == f"contract-income:{contract.id}", LedgerLine.subject.like("milestone:%"))
        .group_by(LedgerLine.subject)
    ).all()
    return {int(subject.split(":")[1]): int(total) for subject, total in rows}


def add_document(session: Session, contract: Contract, admin: Member, data: dict) -> Document:
    _admin_only(admin)
    values = load(DocumentIn, data, code="contracts.document_invalid")
    document = Document(contract_id=contract.id, added_by=admin.id, **values)
    session.add(document)
    session.flush()
    record(session, "contracts.document.added", actor_member_id=admin.id, contract_id=contract.id, document_id=document.id)
    return document


def spent_per_line(session: Session, contract: Contract) -> dict[int, int]:
    """{budget line id: cents spent} from the journal (reversals included)."""
    rows = session.execute(
        select(LedgerLine.subject, func.sum(LedgerLine.amount_cents))
        .join(Account, Account.id == LedgerLine.account_id)
        .where(Account.ref == f"contract-expenses:{contract.id}", LedgerLine.subject.like("budget:%"))
        .group_by(LedgerLine.subject)
    ).all()
    return {int(subject.split(":")[1]): int(total) for subject, total in rows}


def book_expense(
    session: Session, contract: Contract, admin: Member, data: dict, *, confirm_overspend: bool = False
) -> LedgerEntry:
    """Money spent on a budget line: the expense account of the contract against the bank.
    Spending beyond the line's budget is refused with a warning first (409
    contracts.overspend); confirmed, it is booked and the audit log says so."""
    _admin_only(admin)
    values = load(MoneyIn, data, code="contracts.money_invalid")
    if contract.status not in MONEY_STATUSES:
        raise ContractError(_l("Money is booked once the contract is signed."), status=409, code="contracts.not_signed")
    line = session.scalars(
        select(BudgetLine).where(BudgetLine.id == values["budget_line_id"], BudgetLine.contract_id == contract.id)
    ).one_or_none()
    if line is None:
        raise ContractError.on_field(
            "budget_line_id", _l("Choose a budget line of this contract."), code="contracts.money_invalid"
        )
    after = spent_per_line(session, contract).get(line.id, 0) + values["amount_cents"]
    if after > line.amount_cents and not confirm_overspend:
        raise ContractError(
            _l(
                "This spends € %(over)s more than the budget line %(line)s has. Book it anyway?",
                over=_amount(after - line.amount_cents),
                line=line.name,
            ),
            status=409,
            code="contracts.overspend",
        )
    entry = post_entry(
        session,
        f"{values['description']} ({contract.title})",
        [
            Line(_expense_account(session, contract), values["amount_cents"], subject=f"budget:{line.id}"),
            Line("bank", -values["amount_cents"]),
        ],
        source=f"contract:{contract.id}",
        actor_member_id=admin.id,
    )
    record(
        session,
        "contracts.expense.booked",
        actor_member_id=admin.id,
        contract_id=contract.id,
        cents=values["amount_cents"],
        overspent=after > line.amount_cents,
    )
    return entry


def book_income(session: Session, contract: Contract, admin: Member, data: dict) -> LedgerEntry:
    """Money received for the contract (a milestone's payment): the bank against its income account."""
    _admin_only(admin)
    values = load(MilestoneIncomeIn, data, code="contracts.money_invalid")
    if contract.status not in MONEY_STATUSES:
        raise ContractError(_l("Money is booked once the contract is signed."), status=409, code="contracts.not_signed")
    subject = f"contract:{contract.id}"
    if values["milestone_id"] is not None:
        mine = select(Milestone.id).where(Milestone.id == values["milestone_id"], Milestone.contract_id == contract.id)
        if session.scalar(mine) is None:
            raise ContractError.on_field(
                "milestone_id", _l("Choose a milestone of this contract."), code="contracts.money_invalid"
            )
        subject = f"milestone:{values['milestone_id']}"  # the payment tied to its milestone
    entry = post_entry(
        session,
        f"{values['description']} ({contract.title})",
        [
            Line("bank", values["amount_cents"]),
            Line(_income_account(session, contract), -values["amount_cents"], subject=subject),
        ],
        source=f"contract:{contract.id}",
        actor_member_id=admin.id,
    )
    record(session, "contracts.income.booked", actor_member_id=admin.id, contract_id=contract.id, cents=values["amount_cents"])
    return entry


# --- progress and social return -------------------------------------------------------------------
PROGRESS_STATUSES = ("signed", "active", "completed")
PHOTO_BYTES, PHOTO_SIDE = 8 * 1024 * 1024, 1600


def report_progress(
    session: Session, contract: Contract, admin: Member, data: dict, photo: bytes | None = None
) -> ProgressReport:
    """What was done (text, a photo), for a milestone (whose status it may change) or a
    month, with the social return realised: hours of local work, participants, euros."""
    _admin_only(admin)
    values = load(ProgressIn, data, code="contracts.progress_invalid")
    if contract.status not in PROGRESS_STATUSES:
        raise ContractError(_l("Progress is reported once the contract is signed."), status=409, code="contracts.not_signed")
    milestone = None
    if values["milestone_id"] is not None:
        milestone = session.scalars(
            select(Milestone).where(Milestone.id == values["milestone_id"], Milestone.contract_id == contract.id)
        ).one_or_none()
        if milestone is None:
            raise ContractError.on_field(
                "milestone_id", _l("Choose a milestone of this contract."), code="contracts.progress_invalid"
            )
    photo_key = None
    if photo:
        from wijknet.platform.storage import clean_image, storage

        cleaned, kind = clean_image(photo, max_bytes=PHOTO_BYTES, max_side=PHOTO_SIDE, field="photo")
        photo_key = storage().save(cleaned, kind)
    if milestone is not None and values["milestone_status"]:
        milestone.status = values["milestone_status"]
        milestone.done_at = datetime.now(timezone.utc) if milestone.status == "done" else None
    report = ProgressReport(
        contract_id=contract.id,
        milestone_id=milestone.id if milestone else None,
        month=values["month"].replace(day=1) if values["month"] else None,
        text=values["text"],
        photo_key=photo_key,
        hours=values["hours"],
        participants=values["participants"],
        local_cents=values["local_cents"],
        author_id=admin.id,
    )
    session.add(report)
    session.flush()
    record(session, "contracts.progress.reported", actor_member_id=admin.id, contract_id=contract.id, report_id=report.id)
    return report


def social_return(session: Session, contract: Contract) -> dict:
    """Realised against committed: hours, participants (the most in one report: the same
    people come back month after month), and the share of the value spent on local work."""
    hours, participants, local = session.execute(
        select(
            func.coalesce(func.sum(ProgressReport.hours), 0),
            func.coalesce(func.max(ProgressReport.participants), 0),
            func.coalesce(func.sum(ProgressReport.local_cents), 0),
        ).where(ProgressReport.contract_id == contract.id)
    ).one()
    percent = round(100 * int(local) / contract.value_cents, 1) if contract.value_cents else 0.0
    return {
        "hours": (int(hours), contract.sroi_hours),
        "participants": (int(participants), contract.sroi_participants),
        "percent": (percent, contract.sroi_percent),
        "local_cents": int(local),
    }


# --- the organisations directory ------------------------------------------------------------------
def create_organisation(session: Session, admin: Member, data: dict) -> Organisation:
    _admin_only(admin)
    values = load(OrganisationIn, data, code="contracts.organisation_invalid")
    if session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == values["name"].lower())) is not None:
        raise ContractError.on_field(
            "name", _l("This organisation is in the directory already."), code="contracts.organisation_exists", status=409
        )
    organisation = Organisation(**values)
    session.add(organisation)
    session.flush()
    record(session, "contracts.organisation.created", actor_member_id=admin.id, organisation_id=organisation.id)
    return organisation


def add_contact(session: Session, organisation: Organisation, admin: Member, data: dict) -> OrganisationContact:
    """A contact person; when they are a member of the lab, linked to their membership."""
    _admin_only(admin)
    values = load(ContactIn, data, code="contracts.contact_invalid")
    if (
        values["member_id"] is not None
        and session.scalar(select(Member.id).where(Member.id == values["member_id"], Member.left_at.is_(None))) is None
    ):
        raise ContractError.on_field("member_id", _l("Choose a member of this living lab."), code="contracts.contact_invalid")
    contact = OrganisationContact(organisation_id=organisation.id, **values)
    session.add(contact)
    session.flush()
    record(session, "contracts.contact.added", actor_member_id=admin.id, organisation_id=organisation.id, contact_id=contact.id)
    return contact
