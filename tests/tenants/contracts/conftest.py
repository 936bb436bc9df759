"""What the contract tests share: a lab with contracts and its ledger, its board and members,
the green-maintenance contract of the SPEC's example, and the lab's settings."""

import pytest
from sqlalchemy import select

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.contracts import operations as ops
from wijknet.tenants.contracts.models import Contract
from wijknet.tenants.contracts.settings import ContractSettings
from wijknet.tenants.core.models import Member, Organisation

GREEN = {
    "title": "Onderhoud openbaar groen Tarwewijk 2027",
    "purpose": "Het wijkbedrijf onderhoudt het groen in de wijk, met werk voor bewoners.",
    "contract_type": "green_maintenance",
    "value_cents": 5_000_000,
    "starts_on": "2027-01-01",
    "ends_on": "2027-12-31",
    "budget_lines": [
        {"name": "Loonkosten bewoners", "amount_cents": 3_500_000},
        {"name": "Materiaal", "amount_cents": 1_500_000},
    ],
    "milestones": [
        {"title": "Voorjaarssnoei", "due_on": "2027-04-30", "weight_percent": 40, "payment_cents": 2_000_000},
        {"title": "Zomeronderhoud", "due_on": "2027-08-31", "weight_percent": 60, "payment_cents": 3_000_000},
    ],
}


@pytest.fixture
def lab(make_tenant):
    return make_tenant(modules=("contracts", "ledger"))


@pytest.fixture
def people(engine, lab, make_member):
    """Three administrators (the board) and seven members: {name: member id}."""
    users = {f"bestuur{i}": make_member(lab, "admin") for i in range(3)} | {f"lid{i}": make_member(lab) for i in range(7)}
    with tenant_unit_of_work(engine, lab) as session:
        ids = {m.user_id: m.id for m in session.scalars(select(Member))}
    return {name: ids[user] for name, user in users.items()}


def settings(**change):
    return {**ContractSettings().load({}), **change}


def make_contract(engine, lab, admin_id, data=GREEN, **setting):
    with tenant_unit_of_work(engine, lab) as session:
        municipality = session.scalars(select(Organisation).where(Organisation.name == "Gemeente Rotterdam")).one_or_none()
        if municipality is None:
            municipality = Organisation(name="Gemeente Rotterdam", kind="municipality")
            session.add(municipality)
            session.flush()
        contract = ops.create_contract(
            session, session.get(Member, admin_id), {**data, "counterparty_id": municipality.id}, settings(**setting)
        )
        return contract.id


def signed_contract(engine, lab, people, data=GREEN, *, today=None) -> int:
    """`data` made a contract, proposed, approved by the other two of the board and signed
    (no members' vote: the threshold is out of reach); returns its id."""
    contract_id = make_contract(engine, lab, people["bestuur0"], data, vote_threshold_cents=10**12)
    with tenant_unit_of_work(engine, lab) as session:
        board = [session.get(Member, people[f"bestuur{i}"]) for i in range(3)]
        contract = session.get(Contract, contract_id)
        ops.propose(session, contract, board[0], settings())
        ops.approve(session, contract, board[1])
        ops.approve(session, contract, board[2])
        ops.move(session, contract, board[0], "signed", today=today)
    return contract_id
