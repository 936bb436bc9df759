"""The lab's chart of accounts (tenants/ledger/operations.py): codes handed out within their
kind's range to its last number, long names and reasons cut where they are meant to be, a
balance of 0 for an account nothing was booked on, and a starter kit that copies the chart
without anyone's personal accounts (issue 19: survivors)."""

import pytest
from sqlalchemy import func, select, text

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.ledger.models import Account, LedgerEntry
from wijknet.tenants.ledger.operations import (
    LedgerError,
    Line,
    balance,
    balances,
    copy_starter_accounts,
    ensure_account,
    post_entry,
    reverse_entry,
)

pytestmark = pytest.mark.tenancy


def _take_codes(session, kind: str, first: int, last: int) -> None:
    session.execute(
        text(
            "INSERT INTO ledger_accounts (ref, code, name, kind)"
            " SELECT 'taken:' || n, n::text, 'bezet', :kind FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS n"
        ),
        {"kind": kind, "first": first, "last": last},
    )


@pytest.mark.parametrize(
    ("kind", "first_code", "last_code"),
    [
        ("asset", "1100", "1999"),  # the first hundred: standard accounts
        ("liability", "2000", "2999"),
        ("equity", "3000", "3999"),
        ("expense", "4000", "7999"),
        ("income", "8101", "8999"),  # 8100 is a standard account's
    ],
)
def test_codes_on_demand_run_from_the_first_free_to_the_last_of_their_kind(engine, lab, kind, first_code, last_code):
    with tenant_unit_of_work(engine, lab) as session:
        assert ensure_account(session, f"{kind}:eerste", name="Eerste", kind=kind).code == first_code
        _take_codes(session, kind, int(first_code) + 1, int(last_code) - 1)
        assert ensure_account(session, f"{kind}:laatste", name="Laatste", kind=kind).code == last_code
        with pytest.raises(LedgerError) as full:
            ensure_account(session, f"{kind}:teveel", name="Te veel", kind=kind)
        assert full.value.code == "ledger.codes_exhausted"


def test_a_long_account_name_is_cut_at_120_characters(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        assert ensure_account(session, "payable:member:9", name="n" * 121, kind="liability").name == "n" * 120


def test_a_reversal_quotes_at_most_100_characters_of_its_reason(engine, lab):
    reason = "r" * 99 + "ST" + "x" * 40
    with tenant_unit_of_work(engine, lab) as session:
        entry = post_entry(session, "Huur", [Line("bank", 10_00), Line("fees", -10_00)])
        reversal = reverse_entry(session, entry.id, reason=reason)
        assert reversal.description == f"Correctie van boeking {entry.id} ({'r' * 99}S): Huur"


def test_a_reversal_description_is_at_most_300_characters(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        entry = post_entry(session, "h" * 300, [Line("bank", 10_00), Line("fees", -10_00)])
        description = reverse_entry(session, entry.id, reason="fout").description
        assert len(description) == 300 and description.startswith(f"Correctie van boeking {entry.id} (fout): hhh")


def test_an_account_nothing_was_booked_on_has_balance_0(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        ensure_account(session, "bank")
        assert dict((account.ref, amount) for account, amount in balances(session))["bank"] == 0


def test_a_starter_kit_copies_the_chart_without_personal_accounts(engine, lab, make_tenant):
    new = make_tenant(modules=("ledger",))
    with tenant_unit_of_work(engine, lab) as model:
        for ref in ("bank", "fees"):
            ensure_account(model, ref)
        ensure_account(model, "bank-spaar", name="Spaarrekening", kind="asset")
        ensure_account(model, "payable:member:1", name="Te betalen aan Gerda", kind="liability")
        shared = model.scalars(select(Account.ref).where(Account.ref.not_like("%:%"))).all()
        with tenant_unit_of_work(engine, new) as target:
            before = target.scalar(select(func.count()).select_from(Account))
            assert before == 0
            assert copy_starter_accounts(model, target) == len(shared) == 3
    with tenant_unit_of_work(engine, new) as target:
        assert sorted(target.scalars(select(Account.ref))) == sorted(shared)


def test_a_balance_per_subject_and_an_entry_booked_at_its_own_time(engine, lab):
    from datetime import datetime, timezone

    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    with tenant_unit_of_work(engine, lab) as session:
        post_entry(session, "Huur A", [Line("receivable", 10_00, subject="member:1"), Line("fees", -10_00)], booked_at=when)
        post_entry(session, "Huur B", [Line("receivable", 3_00, subject="member:2"), Line("fees", -3_00)])
        assert [balance(session, "receivable", subject=s) for s in ("member:1", "member:2", None)] == [10_00, 3_00, 13_00]
        booked = {entry.description: entry.booked_at for entry in session.scalars(select(LedgerEntry))}
        assert booked["Huur A"] == when and booked["Huur B"] > when


def test_a_reversal_is_not_reversed_409(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        entry = post_entry(session, "Huur", [Line("bank", 10_00), Line("fees", -10_00)])
        reversal = reverse_entry(session, entry.id, reason="fout")
        with pytest.raises(LedgerError) as refused:
            reverse_entry(session, reversal.id, reason="terug")
        assert (refused.value.status, refused.value.code) == (409, "ledger.reversal")


def test_an_account_needs_both_a_name_and_a_kind_to_be_made(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        for given in ({"name": "Iets"}, {"kind": "asset"}, {}):
            with pytest.raises(LedgerError) as refused:
                ensure_account(session, "onbekend", **given)
            assert refused.value.code == "ledger.no_account"


def test_balances_by_prefix_take_the_prefix_literally(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        ensure_account(session, "pay_1:gerda", name="Gerda", kind="liability")
        ensure_account(session, "payX1:wim", name="Wim", kind="liability")
        ensure_account(session, "pay%:ans", name="Ans", kind="liability")
        assert [account.ref for account, _ in balances(session, prefix="pay_1")] == ["pay_1:gerda"]
        assert [account.ref for account, _ in balances(session, prefix="pay%")] == ["pay%:ans"]


def test_a_line_cannot_be_changed_once_made():
    from dataclasses import FrozenInstanceError

    line = Line("bank", 10_00)
    with pytest.raises(FrozenInstanceError):
        line.amount_cents = 20_00


@pytest.mark.parametrize("description", ["", "   ", "d" * 301])
def test_an_entry_needs_a_description_of_1_to_300_characters(engine, lab, description):
    with tenant_unit_of_work(engine, lab) as session:
        with pytest.raises(LedgerError) as refused:
            post_entry(session, description, [Line("bank", 10_00), Line("fees", -10_00)])
        assert (refused.value.code, list(refused.value.errors)) == ("ledger.description", ["description"])
