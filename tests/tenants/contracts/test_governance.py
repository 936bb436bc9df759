"""Wijkbedrijf contracts (issue 14), the rules through the operations: every illegal step
refused with 409 and every step recorded; 2-of-3 approvers where the proposer is one of
them needs the other two; above the value threshold approval waits for the members' vote,
which fails without quorum; one vote per member, changeable until it closes, results only
after; bad input refused with a message per field and nothing stored; the OCDS export valid
against the OCDS 1.1.5 release schema."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.contracts import operations as ops
from wijknet.tenants.contracts.models import STATUSES, TRANSITIONS, Approval, BudgetLine, Contract, Milestone, Transition
from wijknet.tenants.contracts.ocds import release
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.time import tenant_today

from .conftest import GREEN, make_contract, settings, signed_contract

pytestmark = pytest.mark.tenancy
SCHEMA = json.loads((Path(__file__).parents[2] / "data" / "ocds" / "release-schema-1.1.5.json").read_text())


def _refused(action) -> tuple[int, str, dict]:
    with pytest.raises(Exception) as refused:
        action()
    return refused.value.status, refused.value.code, refused.value.errors


def test_every_illegal_step_is_refused_and_every_step_recorded(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], vote_threshold_cents=10**12)
    with tenant_unit_of_work(engine, lab) as session:
        admin = session.get(Member, people["bestuur0"])
        contract = session.get(Contract, contract_id)
        for status in STATUSES:
            for target in ("signed", "active", "completed", "terminated"):
                if target in TRANSITIONS[status]:
                    continue
                contract.status = status
                status_code, code, _e = _refused(lambda target=target: ops.move(session, contract, admin, target))
                assert (status_code, code) == (409, "contracts.illegal_transition"), (status, target)
                assert contract.status == status
        contract.status = "draft"
        assert _refused(lambda: ops.move(session, contract, admin, "approved"))[:2] == (409, "contracts.illegal_transition")
        session.execute(Transition.__table__.delete().where(Transition.contract_id == contract_id))
    with tenant_unit_of_work(engine, lab) as session:
        admin, other = session.get(Member, people["bestuur0"]), session.get(Member, people["bestuur1"])
        third = session.get(Member, people["bestuur2"])
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, admin, settings(), "naar het bestuur")
        ops.approve(session, contract, other)
        ops.approve(session, contract, third)
        for step in ("signed", "active", "completed"):
            ops.move(session, contract, admin, step, f"stap {step}")
        assert contract.signed_on == tenant_today(lab)
        assert _refused(lambda: ops.move(session, contract, admin, "terminated"))[0] == 409  # completed is final
        steps = session.execute(
            select(Transition.from_status, Transition.to_status, Transition.actor_member_id)
            .where(Transition.contract_id == contract_id)
            .order_by(Transition.id)
        ).all()
        assert [(a, b) for a, b, _who in steps] == [
            ("draft", "proposed"),
            ("proposed", "approved"),
            ("approved", "signed"),
            ("signed", "active"),
            ("active", "completed"),
        ]
        assert all(who is not None for _a, _b, who in steps)


def test_two_of_three_where_the_proposer_is_one_needs_the_other_two(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], vote_threshold_cents=10**12)
    with tenant_unit_of_work(engine, lab) as session:
        proposer, second, third = (session.get(Member, people[f"bestuur{i}"]) for i in range(3))
        member = session.get(Member, people["lid0"])
        contract = session.get(Contract, contract_id)
        assert _refused(lambda: ops.approve(session, contract, second))[:2] == (409, "contracts.not_proposed")
        ops.propose(session, contract, proposer, settings())
        assert _refused(lambda: ops.approve(session, contract, proposer))[:2] == (409, "contracts.proposer_cannot_approve")
        assert _refused(lambda: ops.approve(session, contract, member))[:2] == (403, "contracts.admin_only")
        ops.approve(session, contract, second)
        assert contract.status == "proposed"
        assert _refused(lambda: ops.approve(session, contract, second))[:2] == (409, "contracts.already_approved")
        ops.approve(session, contract, third)
        assert contract.status == "approved"


def test_above_the_threshold_approval_waits_for_the_vote_and_fails_without_quorum(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], vote_threshold_cents=1_000_000)  # € 50,000 > € 10,000
    start = datetime.now(timezone.utc)
    with tenant_unit_of_work(engine, lab) as session:
        board = [session.get(Member, people[f"bestuur{i}"]) for i in range(3)]
        members = [session.get(Member, people[f"lid{i}"]) for i in range(7)]
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, board[0], settings(vote_days=7, quorum_percent=30), now=start)
        ops.approve(session, contract, board[1])
        ops.approve(session, contract, board[2])
        assert contract.status == "proposed"  # enough approvers, but the members have not voted
        ops.cast_vote(session, contract, members[0], "for", now=start)
        ops.cast_vote(session, contract, members[1], "for", now=start)
        assert ops.results(session, contract) is None  # no results while the vote is open
        assert _refused(lambda: ops.close_vote(session, contract, now=start + timedelta(days=1)))[:2] == (
            409,
            "contracts.vote_still_open",
        )
        ops.close_vote(session, contract, now=start + timedelta(days=8))  # 2 of 10 voted; 3 needed
        assert contract.status == "draft" and contract.vote_passed is False
        assert ops.results(session, contract) == {"for": 2, "against": 0, "abstain": 0, "passed": False}
        reason = session.scalar(
            select(Transition.reason).where(Transition.contract_id == contract_id).order_by(Transition.id.desc()).limit(1)
        )
        assert reason == "no quorum in the members' vote"
        assert session.scalar(select(func.count()).select_from(Approval).where(Approval.contract_id == contract_id)) == 0
        assert _refused(lambda: ops.cast_vote(session, contract, members[2], "for", now=start + timedelta(days=9)))[:2] == (
            409,
            "contracts.no_open_vote",
        )


def test_a_vote_with_quorum_and_majority_approves_votes_change_until_closing(engine, lab, people):
    contract_id = make_contract(engine, lab, people["bestuur0"], vote_threshold_cents=1_000_000)
    start = datetime.now(timezone.utc)
    with tenant_unit_of_work(engine, lab) as session:
        board = [session.get(Member, people[f"bestuur{i}"]) for i in range(3)]
        members = [session.get(Member, people[f"lid{i}"]) for i in range(7)]
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, board[0], settings(quorum_percent=30), now=start)
        ops.cast_vote(session, contract, members[0], "against", now=start)
        ops.cast_vote(session, contract, members[0], "for", now=start + timedelta(hours=1))  # changed her mind
        ops.cast_vote(session, contract, members[1], "for", now=start)
        ops.cast_vote(session, contract, members[2], "against", now=start)
        ops.cast_vote(session, contract, members[3], "abstain", now=start)
        assert _refused(lambda: ops.cast_vote(session, contract, members[4], "maybe", now=start))[:2] == (
            400,
            "contracts.vote_invalid",
        )
        ops.close_vote(session, contract, now=start + timedelta(days=8))
        assert contract.vote_passed is True and contract.status == "proposed"  # the approvers still decide
        assert ops.results(session, contract) == {"for": 2, "against": 1, "abstain": 1, "passed": True}
        ops.approve(session, contract, board[1])
        ops.approve(session, contract, board[2])
        assert contract.status == "approved"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value_cents": -100}, "value_cents"),
        ({"starts_on": "2027-12-31", "ends_on": "2027-01-01"}, "ends_on"),
        ({"budget_lines": [{"name": "Alles", "amount_cents": 4_000_000}]}, "budget_lines"),
        ({"milestones": [{"title": "Alles", "weight_percent": 90}]}, "milestones"),
        (
            {"milestones": [{"title": "Alles", "weight_percent": 0}, {"title": "Rest", "weight_percent": 100}]},
            "milestones",
        ),
        ({"title": ""}, "title"),
        ({"contract_type": "lening"}, "contract_type"),
    ],
)
def test_bad_contracts_are_refused_per_field_and_nothing_stored(engine, lab, people, change, field):
    with tenant_unit_of_work(engine, lab) as session:
        admin = session.get(Member, people["bestuur0"])
        status, _code, errors = _refused(lambda: ops.create_contract(session, admin, {**GREEN, **change}, settings()))
        assert status == 400 and field in errors, errors
        for model in (Contract, BudgetLine, Milestone):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_budget_lines_may_differ_from_the_value_when_the_lab_allows_it(engine, lab, people):
    contract_id = make_contract(
        engine,
        lab,
        people["bestuur0"],
        {**GREEN, "budget_lines": [{"name": "Deel", "amount_cents": 100}]},
        budget_must_match=False,
    )
    assert contract_id


@pytest.mark.parametrize(
    "steps", [(), ("proposed",), ("proposed", "approved", "signed", "active"), ("proposed", "approved", "terminated")]
)
def test_the_ocds_release_is_valid_against_the_ocds_1_1_5_schema(engine, lab, people, steps):
    contract_id = make_contract(engine, lab, people["bestuur0"], vote_threshold_cents=10**12)
    with tenant_unit_of_work(engine, lab) as session:
        board = [session.get(Member, people[f"bestuur{i}"]) for i in range(3)]
        contract = session.get(Contract, contract_id)
        for step in steps:
            if step == "proposed":
                ops.propose(session, contract, board[0], settings())
            elif step == "approved":
                ops.approve(session, contract, board[1])
                ops.approve(session, contract, board[2])
            else:
                ops.move(session, contract, board[0], step)
        session.scalars(select(Milestone).where(Milestone.contract_id == contract_id)).first().status = "done"
        document = release(session, contract, lab)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft4Validator, format_checker=jsonschema.FormatChecker())
    assert document["ocid"].endswith(f"-{lab.slug}-{contract_id}")
    assert document["contracts"][0]["value"] == {"amount": 50000.0, "currency": "EUR"}
    assert [p["roles"] for p in document["parties"]] == [["buyer", "supplier"], ["payer"]]
    assert document["contracts"][0]["milestones"][0]["status"] == "met"
    assert ("dateSigned" in document["contracts"][0]) == ("signed" in steps)


def test_progress_moves_milestones_and_social_return_is_shown_against_the_commitment(engine, lab, people):
    contract_id = signed_contract(engine, lab, people, {**GREEN, "sroi_percent": 20, "sroi_hours": 400, "sroi_participants": 6})
    with tenant_unit_of_work(engine, lab) as session:
        admin = session.get(Member, people["bestuur0"])
        contract = session.get(Contract, contract_id)
        spring, autumn = session.scalars(
            select(Milestone).where(Milestone.contract_id == contract_id).order_by(Milestone.id)
        ).all()
        ops.report_progress(
            session,
            contract,
            admin,
            {
                "text": "Voorjaarssnoei klaar",
                "milestone_id": spring.id,
                "milestone_status": "done",
                "hours": 160,
                "participants": 4,
                "local_cents": 600_000,
            },
        )
        ops.report_progress(
            session,
            contract,
            admin,
            {
                "text": "Zomer begonnen",
                "milestone_id": autumn.id,
                "milestone_status": "in_progress",
                "month": "2027-06-15",
                "hours": 80,
                "participants": 5,
            },
        )
        assert ops.progress_percent(session, contract) == 40 + 30  # done 40, under way half of 60
        assert ops.social_return(session, contract) == {
            "hours": (240, 400),
            "participants": (5, 6),
            "percent": (12.0, 20),
            "local_cents": 600_000,
        }
        for bad, field in (
            ({"text": "x"}, "text"),
            ({"text": "Gedaan", "hours": -3}, "hours"),
            ({"text": "Gedaan", "participants": "veel"}, "participants"),
            ({"text": "Gedaan", "milestone_status": "bijna"}, "milestone_status"),
            ({"text": "Gedaan", "milestone_id": 999_999}, "milestone_id"),
        ):
            status, _code, errors = _refused(lambda bad=bad: ops.report_progress(session, contract, admin, bad))
            assert status == 400 and field in errors, (bad, errors)
        draft_id = make_contract(engine, lab, people["bestuur0"], GREEN)
    with tenant_unit_of_work(engine, lab) as session:
        draft = session.get(Contract, draft_id)
        admin = session.get(Member, people["bestuur0"])
        assert _refused(lambda: ops.report_progress(session, draft, admin, {"text": "Te vroeg"}))[:2] == (
            409,
            "contracts.not_signed",
        )


def test_the_organisations_directory_with_contact_persons(engine, lab, people):
    with tenant_unit_of_work(engine, lab) as session:
        admin, member = session.get(Member, people["bestuur0"]), session.get(Member, people["lid0"])
        insurer = ops.create_organisation(
            session, admin, {"name": "Zorgverzekeraar Zuid", "kind": "insurer", "website": "https://zorg.example"}
        )
        contact = ops.add_contact(
            session, insurer, admin, {"name": "Petra Jansen", "role": "accountmanager", "member_id": member.id}
        )
        assert (contact.organisation_id, contact.member_id) == (insurer.id, member.id)
        assert _refused(lambda: ops.create_organisation(session, admin, {"name": "zorgverzekeraar zuid"}))[:2] == (
            409,
            "contracts.organisation_exists",
        )
        for bad, field in (
            ({"name": "Z", "kind": "insurer"}, "name"),
            ({"name": "Zorg Noord", "kind": "bank"}, "kind"),
            ({"name": "Zorg Oost", "email": "geen-adres"}, "email"),
            ({"name": "Zorg West", "website": "javascript:alert(1)"}, "website"),
        ):
            status, _code, errors = _refused(lambda bad=bad: ops.create_organisation(session, admin, bad))
            assert status == 400 and field in errors, (bad, errors)
        assert _refused(lambda: ops.add_contact(session, insurer, admin, {"name": "Iemand", "member_id": 999_999}))[2].keys() == {
            "member_id"
        }
        assert _refused(lambda: ops.create_organisation(session, member, {"name": "Zorg Noord"}))[:2] == (
            403,
            "contracts.admin_only",
        )
