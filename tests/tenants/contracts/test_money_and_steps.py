"""Wijkbedrijf contracts through the operations, the rules the governance tests leave out:
money against the budget lines and the milestones, a draft changed and a proposal withdrawn,
the steps after approval, documents, progress over many contracts, and the members' vote at
its edges (quorum rounded up, a tie, the closing moment). Found by mutation testing (issue 19)."""

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from wijknet.platform.storage import storage
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.contracts import operations as ops
from wijknet.tenants.contracts.models import Approval, BudgetLine, Contract, Document, Milestone, Transition, Vote
from wijknet.tenants.core.models import Member, Organisation, TenantAuditEntry
from wijknet.tenants.ledger.models import Account, LedgerEntry
from wijknet.tenants.ledger.operations import balance

from .conftest import GREEN, make_contract, settings, signed_contract

pytestmark = pytest.mark.tenancy
NO_VOTE = 10**12  # a threshold no contract reaches


def _refused(action) -> tuple[int, str, dict]:
    with pytest.raises(Exception) as refused:
        action()
    return refused.value.status, refused.value.code, refused.value.errors


def _audit(session, action) -> list[dict]:
    query = select(TenantAuditEntry.detail).where(TenantAuditEntry.action == action).order_by(TenantAuditEntry.id)
    return list(session.scalars(query))


def _lines(session, contract_id) -> list[BudgetLine]:
    return session.scalars(select(BudgetLine).where(BudgetLine.contract_id == contract_id).order_by(BudgetLine.id)).all()


def test_spending_is_booked_per_budget_line_and_overspending_needs_a_confirmation(engine, lab, people):
    contract_id = signed_contract(engine, lab, people)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        wages, material = _lines(session, contract_id)  # € 35,000 and € 15,000
        ops.book_expense(
            session, contract, admin, {"budget_line_id": material.id, "amount_cents": 1_000_000, "description": "Snoeischaren"}
        )
        ops.book_expense(
            session, contract, admin, {"budget_line_id": material.id, "amount_cents": 500_000, "description": "Aanhanger"}
        )
        assert ops.spent_per_line(session, contract) == {material.id: 1_500_000}  # the line exactly spent: no warning
        over = {"budget_line_id": material.id, "amount_cents": 1, "description": "Handschoenen"}
        status, code, _e = _refused(lambda: ops.book_expense(session, contract, admin, over))
        assert (status, code) == (409, "contracts.overspend")
        assert ops.spent_per_line(session, contract) == {material.id: 1_500_000}
        entry = ops.book_expense(session, contract, admin, over, confirm_overspend=True)
        assert entry.description == f"Handschoenen ({GREEN['title']})" and entry.source == f"contract:{contract_id}"
        assert ops.spent_per_line(session, contract) == {material.id: 1_500_001}
        assert balance(session, f"contract-expenses:{contract_id}") == 1_500_001 and balance(session, "bank") == -1_500_001
        assert [(d["cents"], d["overspent"]) for d in _audit(session, "contracts.expense.booked")] == [
            (1_000_000, False),
            (500_000, False),
            (1, True),
        ]
        ops.book_expense(
            session, contract, admin, {"budget_line_id": wages.id, "amount_cents": 3_500_000, "description": "Lonen"}
        )
        assert ops.spent_per_line(session, contract) == {material.id: 1_500_001, wages.id: 3_500_000}


def test_the_overspend_warning_says_by_how_much(engine, lab, people):
    contract_id = signed_contract(engine, lab, people)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        _wages, material = _lines(session, contract_id)
        with pytest.raises(Exception) as warned:
            ops.book_expense(
                session, contract, admin, {"budget_line_id": material.id, "amount_cents": 1_512_345, "description": "Boom"}
            )
        assert "123.45" in warned.value.message and "Materiaal" in warned.value.message


def test_money_waits_for_a_signature_and_stays_within_its_contract(engine, lab, people):
    signed_id = signed_contract(engine, lab, people)
    draft_id = make_contract(engine, lab, people["bestuur0"], GREEN)
    with tenant_unit_of_work(engine, lab) as session:
        admin, member = session.get(Member, people["bestuur0"]), session.get(Member, people["lid0"])
        signed, draft = session.get(Contract, signed_id), session.get(Contract, draft_id)
        foreign_line = _lines(session, draft_id)[0]
        foreign_milestone = session.scalars(select(Milestone).where(Milestone.contract_id == draft_id)).first()
        spend = {"budget_line_id": _lines(session, draft_id)[0].id, "amount_cents": 100, "description": "Koffie"}
        assert _refused(lambda: ops.book_expense(session, draft, admin, spend))[:2] == (409, "contracts.not_signed")
        assert _refused(lambda: ops.book_income(session, draft, admin, {"amount_cents": 100, "description": "Gift"}))[:2] == (
            409,
            "contracts.not_signed",
        )
        refused = _refused(lambda: ops.book_expense(session, signed, admin, {**spend, "budget_line_id": foreign_line.id}))
        assert refused[:2] == (400, "contracts.money_invalid") and "budget_line_id" in refused[2]
        paid = {"amount_cents": 100, "description": "Termijn", "milestone_id": foreign_milestone.id}
        refused = _refused(lambda: ops.book_income(session, signed, admin, paid))
        assert refused[:2] == (400, "contracts.money_invalid") and "milestone_id" in refused[2]
        assert _refused(lambda: ops.book_expense(session, signed, member, spend))[:2] == (403, "contracts.admin_only")
        assert _refused(lambda: ops.book_income(session, signed, member, paid))[:2] == (403, "contracts.admin_only")
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_income_is_booked_per_milestone_or_for_the_contract(engine, lab, people):
    contract_id = signed_contract(engine, lab, people)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        spring, summer = session.scalars(select(Milestone).where(Milestone.contract_id == contract_id).order_by(Milestone.id))
        ops.book_income(
            session, contract, admin, {"amount_cents": 2_000_000, "description": "Eerste termijn", "milestone_id": spring.id}
        )
        ops.book_income(
            session, contract, admin, {"amount_cents": 250_000, "description": "Voorschot", "milestone_id": summer.id}
        )
        ops.book_income(session, contract, admin, {"amount_cents": 5_000, "description": "Gift van de buurt"})
        assert ops.paid_per_milestone(session, contract) == {spring.id: 2_000_000, summer.id: 250_000}
        assert balance(session, f"contract-income:{contract_id}") == -2_255_000 and balance(session, "bank") == 2_255_000
        assert balance(session, f"contract-income:{contract_id}", subject=f"contract:{contract_id}") == -5_000
        assert [d["cents"] for d in _audit(session, "contracts.income.booked")] == [2_000_000, 250_000, 5_000]


def test_a_draft_changes_as_a_whole_and_only_as_a_draft(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=NO_VOTE)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        counterparty = session.scalars(select(Organisation)).one()
        smaller = {
            **GREEN,
            "title": "Groen Tarwewijk, eerste helft",
            "value_cents": 2_000_000,
            "budget_lines": [{"name": "Alles", "amount_cents": 2_000_000}],
            "milestones": [{"title": "Voorjaar", "weight_percent": 100}],
            "counterparty_id": counterparty.id,
        }
        ops.update_contract(session, contract, admin, smaller, settings())
        assert (contract.title, contract.value_cents) == ("Groen Tarwewijk, eerste helft", 2_000_000)
        assert [(line.name, line.amount_cents) for line in _lines(session, contract_id)] == [("Alles", 2_000_000)]
        assert session.scalars(select(Milestone.title).where(Milestone.contract_id == contract_id)).all() == ["Voorjaar"]
        assert _audit(session, "contracts.contract.updated") == [{"contract_id": contract_id}]
        refused = _refused(
            lambda: ops.update_contract(session, contract, admin, {**smaller, "counterparty_id": 999_999}, settings())
        )
        assert refused[:2] == (400, "contracts.contract_invalid") and "counterparty_id" in refused[2]
        mismatch = {**smaller, "value_cents": 2_000_001}
        status, code, errors = _refused(lambda: ops.update_contract(session, contract, admin, mismatch, settings()))
        assert (status, code) == (400, "contracts.budget_mismatch") and "20,000.00" in errors["budget_lines"][0]
        assert _refused(lambda: ops.update_contract(session, contract, session.get(Member, people["lid0"]), smaller, settings()))[
            :2
        ] == (
            403,
            "contracts.admin_only",
        )
        ops.propose(session, contract, admin, settings())
        assert _refused(lambda: ops.update_contract(session, contract, admin, smaller, settings()))[:2] == (
            409,
            "contracts.not_a_draft",
        )


def test_a_withdrawn_proposal_loses_its_approvals_and_votes(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000)
    start = datetime.now(timezone.utc)
    with tenant_unit_of_work(engine, lab) as session:
        board = [session.get(Member, people[f"bestuur{i}"]) for i in range(3)]
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, board[0], settings(vote_days=5), "naar het bestuur", now=start)
        assert (contract.vote_opened_at, contract.vote_closes_at) == (start, start + timedelta(days=5))
        ops.approve(session, contract, board[1])
        ops.cast_vote(session, contract, session.get(Member, people["lid0"]), "for", now=start)
        ops.withdraw(session, contract, board[0], "de begroting klopt niet")
        assert contract.status == "draft"
        assert (contract.vote_opened_at, contract.vote_closes_at, contract.vote_closed_at, contract.vote_passed) == (None,) * 4
        for model in (Approval, Vote):
            assert session.scalar(select(func.count()).select_from(model).where(model.contract_id == contract_id)) == 0
        last = session.execute(
            select(Transition.to_status, Transition.reason)
            .where(Transition.contract_id == contract_id)
            .order_by(Transition.id.desc())
        ).first()
        assert tuple(last) == ("draft", "de begroting klopt niet")
        assert _refused(lambda: ops.withdraw(session, contract, board[1]))[:2] == (409, "contracts.illegal_transition")
        assert _refused(lambda: ops.withdraw(session, contract, session.get(Member, people["lid0"])))[:2] == (
            403,
            "contracts.admin_only",
        )


def test_signing_dates_the_contract_and_terminating_closes_an_open_vote(engine, lab, people):
    signed_id = signed_contract(engine, lab, people, today=date(2026, 12, 1))
    voting_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000)
    with tenant_unit_of_work(engine, lab) as session:
        admin = session.get(Member, people["bestuur0"])
        assert session.get(Contract, signed_id).signed_on == date(2026, 12, 1)
        voting = session.get(Contract, voting_id)
        ops.propose(session, voting, admin, settings())
        ops.move(session, voting, admin, "terminated", "het budget is weg")
        assert (voting.status, voting.vote_passed) == ("terminated", False) and voting.vote_closed_at is not None
        assert voting.signed_on is None
        assert _refused(lambda: ops.move(session, voting, admin, "draft"))[:2] == (409, "contracts.illegal_transition")


def test_a_document_is_added_by_an_administrator(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        document = ops.add_document(
            session, contract, admin, {"title": "Getekend contract", "url": "https://wijk.example/contract.pdf"}
        )
        assert (document.contract_id, document.added_by) == (contract_id, admin.id)
        assert _audit(session, "contracts.document.added") == [{"contract_id": contract_id, "document_id": document.id}]
        member = session.get(Member, people["lid0"])
        assert _refused(lambda: ops.add_document(session, contract, member, {"title": "Nep", "url": "https://x.example"}))[
            :2
        ] == (
            403,
            "contracts.admin_only",
        )
        assert session.scalar(select(func.count()).select_from(Document)) == 1


def test_progress_of_many_contracts_in_one_go(engine, lab, people):
    first, second, bare = (
        make_contract(engine, lab, people["bestuur0"], GREEN),
        make_contract(engine, lab, people["bestuur0"], GREEN),
        make_contract(engine, lab, people["bestuur0"], {**GREEN, "milestones": []}),
    )
    with tenant_unit_of_work(engine, lab) as session:
        for contract_id, statuses in ((first, ("done", "planned")), (second, ("in_progress", "in_progress"))):
            milestones = session.scalars(select(Milestone).where(Milestone.contract_id == contract_id).order_by(Milestone.id))
            for milestone, status in zip(milestones, statuses, strict=True):
                milestone.status = status
        session.flush()
        assert ops.progress_of(session, [first, second, bare]) == {first: 40, second: 50}
        assert ops.progress_percent(session, session.get(Contract, bare)) == 0


def _vote(engine, lab, people, choices, *, quorum, start):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000, quorum_percent=quorum)
    with tenant_unit_of_work(engine, lab) as session:
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, session.get(Member, people["bestuur0"]), settings(), now=start)
        for i, choice in enumerate(choices):
            ops.cast_vote(session, contract, session.get(Member, people[f"lid{i}"]), choice, now=start)
        ops.close_vote(session, contract, now=contract.vote_closes_at)
        return contract.vote_passed, contract.status


@pytest.mark.parametrize(
    ("choices", "quorum", "passed"),
    [
        (("for", "for", "abstain"), 30, True),  # 10 members: 30 % is 3 votes, abstentions count
        (("for", "for"), 30, False),
        (("for", "for", "for"), 25, True),  # 2.5 rounds up to 3
        (("for", "for"), 25, False),
        (("for", "against"), 20, False),  # a tie is no majority
        (("for", "for", "against"), 20, True),
        (("for",), 0, True),  # no quorum asked: one vote is still needed
        ((), 0, False),
    ],
)
def test_the_members_vote_at_its_edges(engine, lab, people, choices, quorum, passed):
    outcome, status = _vote(engine, lab, people, choices, quorum=quorum, start=datetime.now(timezone.utc))
    assert outcome is passed and status == ("proposed" if passed else "draft")


def test_a_vote_closes_at_its_closing_time_to_the_microsecond(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000, quorum_percent=10)
    start = datetime.now(timezone.utc)
    with tenant_unit_of_work(engine, lab) as session:
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, session.get(Member, people["bestuur0"]), settings(vote_days=7), now=start)
        closes, voter = start + timedelta(days=7), session.get(Member, people["lid0"])
        ops.cast_vote(session, contract, voter, "against", now=closes - timedelta(microseconds=1))
        assert _refused(lambda: ops.cast_vote(session, contract, voter, "for", now=closes))[:2] == (409, "contracts.no_open_vote")
        assert _refused(lambda: ops.close_vote(session, contract, now=closes - timedelta(microseconds=1)))[:2] == (
            409,
            "contracts.vote_still_open",
        )
        ops.close_vote(session, contract, now=closes)
        assert contract.vote_passed is False and contract.status == "draft"
        reason = session.scalar(
            select(Transition.reason).where(Transition.contract_id == contract_id).order_by(Transition.id.desc())
        )
        assert reason == "the members voted against"
        assert _audit(session, "contracts.vote.closed")[-1] == {
            "contract_id": contract_id,
            "for": 0,
            "against": 1,
            "abstain": 0,
            "quorum": True,
        }
        assert _refused(lambda: ops.close_vote(session, contract, now=closes))[:2] == (409, "contracts.no_open_vote")


def test_a_member_who_left_does_not_vote(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000)
    with tenant_unit_of_work(engine, lab) as session:
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, session.get(Member, people["bestuur0"]), settings())
        gone = session.get(Member, people["lid0"])
        gone.left_at = datetime.now(timezone.utc)
        assert _refused(lambda: ops.cast_vote(session, contract, gone, "for"))[:2] == (403, "contracts.members_only")
        assert _refused(lambda: ops.cast_vote(session, contract, None, "for"))[:2] == (403, "contracts.members_only")


def test_the_accounts_of_a_contract_are_named_after_it_in_at_most_120_characters(engine, lab, people):
    long_title = "Onderhoud van het openbaar groen in de Tarwewijk " * 4  # 196 characters
    contract_id = signed_contract(engine, lab, people, {**GREEN, "title": long_title.strip()})
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        line = _lines(session, contract_id)[0]
        ops.book_expense(session, contract, admin, {"budget_line_id": line.id, "amount_cents": 100, "description": "Koffie"})
        ops.book_income(session, contract, admin, {"amount_cents": 100, "description": "Gift"})
        names = dict(session.execute(select(Account.ref, Account.name).where(Account.ref.like("contract-%"))).all())
        assert names == {
            f"contract-expenses:{contract_id}": f"Uitgaven: {contract.title}"[:120],
            f"contract-income:{contract_id}": f"Inkomsten: {contract.title}"[:120],
        }
        assert {len(name) for name in names.values()} == {120}


def test_a_milestone_done_is_dated_and_undated_when_it_is_not_done_after_all(engine, lab, people):
    contract_id = signed_contract(engine, lab, people)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        spring = session.scalars(select(Milestone).where(Milestone.contract_id == contract_id).order_by(Milestone.id)).first()
        ops.report_progress(session, contract, admin, {"text": "Klaar", "milestone_id": spring.id, "milestone_status": "done"})
        assert spring.status == "done" and spring.done_at is not None
        ops.report_progress(
            session, contract, admin, {"text": "Toch niet", "milestone_id": spring.id, "milestone_status": "in_progress"}
        )
        assert spring.status == "in_progress" and spring.done_at is None


def test_social_return_before_any_report_and_to_a_tenth_of_a_percent(engine, lab, people):
    contract_id = signed_contract(engine, lab, people)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        nothing = ops.social_return(session, contract)
        assert nothing == {
            "hours": (0, contract.sroi_hours),
            "participants": (0, contract.sroi_participants),
            "percent": (0.0, contract.sroi_percent),
            "local_cents": 0,
        }
        ops.report_progress(session, contract, admin, {"text": "Snoeien", "local_cents": 1_234_567})
        assert ops.social_return(session, contract)["percent"][0] == 24.7  # 24.69 % of € 50,000


def test_a_vote_opens_only_above_the_threshold(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=5_000_000)  # the value exactly
    with tenant_unit_of_work(engine, lab) as session:
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, session.get(Member, people["bestuur0"]), settings())
        assert contract.vote_opened_at is None
        voter = session.get(Member, people["lid0"])
        assert _refused(lambda: ops.cast_vote(session, contract, voter, "for"))[:2] == (409, "contracts.no_open_vote")
        assert _refused(lambda: ops.close_vote(session, contract))[:2] == (409, "contracts.no_open_vote")


def _png_of(size: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 160, 60)).save(out, "PNG")
    return out.getvalue() + b"\0" * (size - len(out.getvalue()))


def test_a_progress_photo_of_8_mb_is_taken_and_kept_at_most_1600_pixels_wide(app, engine, lab, people):
    contract_id = signed_contract(engine, lab, people)
    wide = io.BytesIO()
    Image.new("RGB", (2000, 1000), (30, 160, 60)).save(wide, "PNG")
    with app.app_context(), tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        limit = 8 * 1024 * 1024  # "at most 8 MB" on the form
        refused = _refused(lambda: ops.report_progress(session, contract, admin, {"text": "Foto"}, _png_of(limit + 1)))
        assert refused[:2] == (413, "upload.too_large")
        assert ops.report_progress(session, contract, admin, {"text": "Foto"}, _png_of(limit)).photo_key
        report = ops.report_progress(session, contract, admin, {"text": "Breed"}, wide.getvalue())
        with Image.open(storage().path(report.photo_key)) as stored:
            assert stored.size == (1600, 800)


def test_a_changed_vote_is_answered_as_it_now_stands(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000)
    with tenant_unit_of_work(engine, lab) as session:
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, session.get(Member, people["bestuur0"]), settings())
        voter = session.get(Member, people["lid0"])
        first = ops.cast_vote(session, contract, voter, "against")
        assert (first.choice, first.changed_at) == ("against", None)
        second = ops.cast_vote(session, contract, voter, "for")
        assert second.id == first.id and second.choice == "for" and second.changed_at is not None


def test_a_monthly_report_counts_for_its_whole_month(engine, lab, people):
    contract_id = signed_contract(engine, lab, people)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        report = ops.report_progress(session, contract, admin, {"text": "Juni", "month": "2027-06-15"})
        assert report.month == date(2027, 6, 1)


def test_a_contract_without_value_has_no_share_of_local_work(engine, lab, people):
    contract_id = signed_contract(engine, lab, people, {**GREEN, "value_cents": 0, "budget_lines": [], "milestones": []})
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        ops.report_progress(session, contract, admin, {"text": "Vrijwillig gesnoeid", "local_cents": 10_000})
        assert ops.social_return(session, contract)["percent"][0] == 0.0


def test_a_vote_without_any_vote_cast_has_no_quorum_even_when_none_is_asked(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000, quorum_percent=0)
    start = datetime.now(timezone.utc)
    with tenant_unit_of_work(engine, lab) as session:
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, session.get(Member, people["bestuur0"]), settings(), now=start)
        ops.close_vote(session, contract, now=contract.vote_closes_at)
        assert _audit(session, "contracts.vote.closed")[-1]["quorum"] is False
        reason = session.scalar(
            select(Transition.reason).where(Transition.contract_id == contract_id).order_by(Transition.id.desc())
        )
        assert reason == "no quorum in the members' vote"


def test_a_passed_vote_is_closed_once(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000, quorum_percent=10)
    start = datetime.now(timezone.utc)
    with tenant_unit_of_work(engine, lab) as session:
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, session.get(Member, people["bestuur0"]), settings(), now=start)
        ops.cast_vote(session, contract, session.get(Member, people["lid0"]), "for", now=start)
        ops.close_vote(session, contract, now=contract.vote_closes_at)
        assert (contract.status, contract.vote_passed) == ("proposed", True)  # the approvers still decide
        assert _refused(lambda: ops.close_vote(session, contract, now=contract.vote_closes_at))[:2] == (
            409,
            "contracts.no_open_vote",
        )
        ops.move(session, contract, session.get(Member, people["bestuur1"]), "terminated")
        assert contract.vote_passed is True  # terminating leaves a closed vote's outcome alone


def test_terminating_a_contract_that_had_no_vote_leaves_no_vote(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=NO_VOTE)
    with tenant_unit_of_work(engine, lab) as session:
        contract = session.get(Contract, contract_id)
        ops.move(session, contract, session.get(Member, people["bestuur0"]), "terminated", "niet meer nodig")
        assert contract.status == "terminated" and (contract.vote_closed_at, contract.vote_passed) == (None, None)


def test_a_report_on_a_milestone_without_a_new_status_leaves_it_as_it_was(engine, lab, people):
    contract_id = signed_contract(engine, lab, people)
    with tenant_unit_of_work(engine, lab) as session:
        admin, contract = session.get(Member, people["bestuur0"]), session.get(Contract, contract_id)
        spring = session.scalars(select(Milestone).where(Milestone.contract_id == contract_id).order_by(Milestone.id)).first()
        report = ops.report_progress(session, contract, admin, {"text": "Gesnoeid", "milestone_id": spring.id})
        assert report.milestone_id == spring.id and (spring.status, spring.done_at) == ("planned", None)


def test_the_quorum_is_rounded_up_to_whole_votes(engine, lab, people, make_member):
    """11 members and a quorum of 55 %: 6.05 votes, so 7 are needed and 6 are not enough."""
    make_member(lab)  # the eleventh
    for votes, passed in ((6, False), (7, True)):
        contract_id = make_contract(engine, lab, people["bestuur0"], GREEN, vote_threshold_cents=1_000_000, quorum_percent=55)
        start = datetime.now(timezone.utc)
        with tenant_unit_of_work(engine, lab) as session:
            contract = session.get(Contract, contract_id)
            ops.propose(session, contract, session.get(Member, people["bestuur0"]), settings(), now=start)
            voters = session.scalars(select(Member).order_by(Member.id).limit(votes)).all()
            for voter in voters:
                ops.cast_vote(session, contract, voter, "for", now=start)
            ops.close_vote(session, contract, now=contract.vote_closes_at)
            assert contract.vote_passed is passed, votes
