"""A contract step is taken once when administrators take it at the same moment, and the row
lock that makes it so is held by the steps only: a reader never waits for it (issue 19,
the two survivors of tenants/contracts/access.py)."""

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.contracts.models import Contract, Transition
from wijknet.tenants.core.models import Member

from ..tenants.contracts.conftest import signed_contract
from .harness import at_once

pytestmark = pytest.mark.tenancy
N = 6
ROUNDS = 3


@pytest.fixture
def lab(make_tenant):
    return make_tenant(modules=("contracts", "ledger"))


@pytest.fixture
def board(engine, lab, make_member):
    """Three administrators and a member, as {name: (member id, API headers)}."""
    users = {f"bestuur{i}": make_member(lab, "admin") for i in range(3)} | {"lid": make_member(lab)}
    with tenant_unit_of_work(engine, lab) as session:
        ids = {m.user_id: m.id for m in session.scalars(select(Member))}
    with Session(engine) as session, session.begin():
        headers = {
            user: {
                "Authorization": "Bearer " + create_token(session, tenant_id=lab.id, user=session.get(User, user), name="t")[1]
            }
            for user in users.values()
        }
    return {name: (ids[user], headers[user]) for name, user in users.items()}


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_contract_is_started_once_when_the_whole_board_starts_it_together(app, engine, lab, board, round_):
    contract_id = signed_contract(engine, lab, {name: member for name, (member, _) in board.items()})
    admins = [headers for name, (_, headers) in board.items() if name.startswith("bestuur")]
    url = f"/t/{lab.slug}/api/v1/contracts/{contract_id}/transitions"
    answers = at_once(
        N,
        lambda i: app.test_client().post(url, json={"to": "active", "reason": f"Start {i}"}, headers=admins[i % len(admins)]),
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * (N - 1), [a.get_json() for a in answers]
    assert {a.get_json()["code"] for a in answers if a.status_code == 409} == {"contracts.illegal_transition"}
    with tenant_unit_of_work(engine, lab) as session:
        started = select(func.count()).select_from(Transition).where(Transition.contract_id == contract_id)
        assert session.scalar(started.where(Transition.to_status == "active")) == 1
        assert session.get(Contract, contract_id).status == "active"


def test_reading_a_contract_does_not_wait_for_a_step_in_progress(app, engine, lab, board):
    contract_id = signed_contract(engine, lab, {name: member for name, (member, _) in board.items()})
    _, reader = board["lid"]
    base = f"/t/{lab.slug}/api/v1/contracts/{contract_id}"
    with tenant_unit_of_work(engine, lab) as session, ThreadPoolExecutor(max_workers=1) as pool:
        session.scalars(locked(select(Contract).where(Contract.id == contract_id))).one()  # a step holds the row
        read = pool.submit(lambda: app.test_client().get(base, headers=reader))
        try:
            answer = read.result(timeout=5)
        except WaitedTooLong:
            pytest.fail("reading the contract waited for the row lock of a step")
        finally:
            session.rollback()  # let a waiting reader go, whatever happened
    assert answer.status_code == 200 and answer.get_json()["status"] == "signed"
