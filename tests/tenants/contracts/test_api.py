"""Contracts through the API (issue 14): the wijkbedrijf's board makes the municipality's
green-maintenance contract of € 50,000, proposes it, two other board members approve, the
members vote, it is signed; bad input gets 422 with messages per field and stores nothing;
the OCDS release is valid; another lab's token and a member of another lab get 404."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.models import ModuleSetting
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.contracts.models import Contract
from wijknet.tenants.core.models import Organisation

from .conftest import GREEN

pytestmark = pytest.mark.tenancy
SCHEMA = json.loads((Path(__file__).parents[2] / "data" / "ocds" / "release-schema-1.1.5.json").read_text())


def _tokens(engine, lab, users):
    with Session(engine) as session, session.begin():
        return [
            {"Authorization": "Bearer " + create_token(session, tenant_id=lab.id, user=session.get(User, u), name="t")[1]}
            for u in users
        ]


@pytest.fixture
def lab(engine, make_tenant):
    lab = make_tenant(modules=("contracts", "ledger"))
    with Session(engine) as session, session.begin():  # vote above € 10,000, with a quorum of half the members
        session.get(ModuleSetting, (lab.id, "contracts")).settings = {"vote_threshold_cents": 1_000_000, "quorum_percent": 50}
    with tenant_unit_of_work(engine, lab) as session:
        session.add(Organisation(name="Gemeente Rotterdam", kind="municipality"))
    return lab


def test_the_green_contract_from_draft_to_signed_over_the_api(app, engine, lab, make_member):
    board = [make_member(lab, "admin") for _ in range(3)]
    members = [make_member(lab) for _ in range(3)]
    b0, b1, b2, *voters = _tokens(engine, lab, board + members)
    client, base = app.test_client(), f"/t/{lab.slug}/api/v1/contracts"
    with tenant_unit_of_work(engine, lab) as session:
        municipality = session.scalar(select(Organisation.id))
    made = client.post(f"{base}/", json={**GREEN, "counterparty_id": municipality}, headers=b0)
    assert made.status_code == 201, made.get_json()
    contract = made.get_json()
    assert (contract["status"], contract["vote_required"], contract["progress_percent"]) == ("draft", True, 0)
    assert [m["weight_percent"] for m in contract["milestones"]] == [40, 60]
    url = f"{base}/{contract['id']}"
    assert (
        client.post(f"{url}/transitions", json={"to": "proposed"}, headers=voters[0]).status_code == 404
    )  # members do not propose
    assert (
        client.post(f"{url}/transitions", json={"to": "proposed", "reason": "Voor het bestuur"}, headers=b0).get_json()["status"]
        == "proposed"
    )
    refused = client.post(f"{url}/approvals", headers=b0)
    assert refused.status_code == 409 and refused.get_json()["code"] == "contracts.proposer_cannot_approve"
    client.post(f"{url}/approvals", headers=b1)
    assert client.post(f"{url}/approvals", headers=b2).get_json()["status"] == "proposed"  # waits for the members
    for headers, choice in zip(voters, ("for", "against", "for"), strict=True):
        assert client.put(f"{url}/vote", json={"choice": choice}, headers=headers).status_code == 200
    mine = client.put(f"{url}/vote", json={"choice": "abstain"}, headers=voters[1]).get_json()  # changed
    assert mine["my_choice"] == "abstain" and mine["results"] is None and mine["open"] is True
    assert client.post(f"{url}/vote/close", headers=b0).get_json()["code"] == "contracts.vote_still_open"
    with tenant_unit_of_work(engine, lab) as session:  # the week passes
        session.execute(update(Contract).values(vote_closes_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    closed = client.post(f"{url}/vote/close", headers=b0).get_json()
    assert closed["status"] == "approved" and closed["vote_passed"] is True  # 3 of 6 voted (quorum 50 %), 2 for, 0 against
    assert client.get(f"{url}/vote", headers=voters[0]).get_json()["results"] == {
        "for": 2,
        "against": 0,
        "abstain": 1,
        "passed": True,
    }
    assert client.post(f"{url}/transitions", json={"to": "active"}, headers=b0).status_code == 409  # sign first
    assert client.post(f"{url}/transitions", json={"to": "signed", "reason": "Getekend met de wethouder"}, headers=b0).get_json()[
        "signed_on"
    ]
    history = client.get(f"{url}/transitions", headers=voters[0]).get_json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "draft"),
        ("draft", "proposed"),
        ("proposed", "approved"),
        ("approved", "signed"),
    ]
    assert history[-1]["reason"] == "Getekend met de wethouder"
    # Money: an expense within its budget line; beyond it only when confirmed; the public ledger shows it
    line = contract["budget_lines"][1]  # Materiaal, € 15,000
    budget_line = client.get(f"{url}/budget", headers=voters[0]).get_json()[1]
    assert (budget_line["name"], budget_line["budget_cents"], budget_line["spent_cents"]) == (line["name"], 1_500_000, 0)
    first = {
        "budget_line_id": budget_line["budget_line_id"],
        "amount_cents": 1_234_500,
        "description": "Snoeischaren en bladblazers",
    }
    assert client.post(f"{url}/expenses", json=first, headers=b0).status_code == 201
    over = {**first, "amount_cents": 300_000, "description": "Aanhanger"}
    warned = client.post(f"{url}/expenses", json=over, headers=b0)
    assert (
        warned.status_code == 409
        and warned.get_json()["code"] == "contracts.overspend"
        and "€ 345,00" in warned.get_json()["message"]
    )
    assert client.post(f"{url}/expenses", json={**over, "confirm_overspend": True}, headers=b0).status_code == 201
    assert client.get(f"{url}/budget", headers=voters[0]).get_json()[1]["spent_cents"] == 1_534_500
    first_milestone = contract["milestones"][0]["id"]
    income = {"amount_cents": 2_000_000, "description": "Eerste termijn", "milestone_id": first_milestone}
    assert client.post(f"{url}/income", json=income, headers=b0).status_code == 201
    assert client.post(f"{url}/income", json={**income, "milestone_id": 999_999}, headers=b0).status_code == 400
    bad_document = {"title": "Getekend contract", "url": "javascript:alert(1)"}
    assert client.post(f"{url}/documents", json=bad_document, headers=b0).status_code == 422
    document = {"title": "Getekend contract", "url": "https://rotterdam.example/groen-2027.pdf"}
    assert client.post(f"{url}/documents", json=document, headers=b0).status_code == 201
    assert client.post(f"{url}/documents", json=document, headers=voters[0]).status_code == 404  # administrators only
    with Session(engine) as session, session.begin():
        session.get(ModuleSetting, (lab.id, "ledger")).settings = {"public_page": True}
    app.extensions["wijknet"].directory.forget(lab.slug)
    public = client.get(f"/t/{lab.slug}/ledger/public").get_data(as_text=True)
    assert "Uitgaven: Onderhoud openbaar groen Tarwewijk 2027" in public and "€ 15.345,00" in public
    release = client.get(f"{url}/ocds", headers=voters[0]).get_json()
    jsonschema.validate(release, SCHEMA, cls=jsonschema.Draft4Validator, format_checker=jsonschema.FormatChecker())
    assert release["parties"][1]["name"] == "Gemeente Rotterdam" and release["tag"] == ["contract"]
    assert [d["url"] for d in release["contracts"][0]["documents"]] == [document["url"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value_cents": -1}, "value_cents"),
        ({"starts_on": "2027-06-01", "ends_on": "2027-01-01"}, "ends_on"),
        ({"milestones": [{"title": "Alles", "weight_percent": 50}]}, "milestones"),
        ({"budget_lines": [{"name": "Alles", "amount_cents": 1}]}, "budget_lines"),
        ({"counterparty_id": 999_999}, "counterparty_id"),
    ],
)
def test_bad_input_gets_messages_per_field_and_stores_nothing(app, engine, lab, make_member, change, field):
    (admin,) = _tokens(engine, lab, [make_member(lab, "admin")])
    answer = app.test_client().post(f"/t/{lab.slug}/api/v1/contracts/", json={**GREEN, **change}, headers=admin)
    assert answer.status_code in (400, 422) and field in json.dumps(answer.get_json()), answer.get_json()
    with tenant_unit_of_work(engine, lab) as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 0


def test_another_labs_people_get_404(app, engine, lab, make_tenant, make_member, login_as):
    (admin,) = _tokens(engine, lab, [make_member(lab, "admin")])
    made = app.test_client().post(f"/t/{lab.slug}/api/v1/contracts/", json=GREEN, headers=admin).get_json()
    other = make_tenant(modules=("contracts",))
    (stranger,) = _tokens(engine, other, [make_member(other, "admin")])
    base = f"/t/{lab.slug}/api/v1/contracts/{made['id']}"
    for method, path in (("GET", base), ("GET", f"{base}/ocds"), ("POST", f"{base}/approvals"), ("PUT", f"{base}/vote")):
        answer = app.test_client().open(
            path, method=method, headers=stranger, json={"choice": "for"} if method == "PUT" else None
        )
        assert answer.status_code in (401, 404), (method, path, answer.status_code)
    own = app.test_client().get(f"/t/{other.slug}/api/v1/contracts/{made['id']}", headers=stranger)
    assert own.status_code == 404  # ids are per lab: another lab's contract is simply not there
