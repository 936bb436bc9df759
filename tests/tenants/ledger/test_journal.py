"""The wijkboekhouding's journal (issues 13 and 14): entries balance, in the operations and
in the database; the journal refuses UPDATE, DELETE and TRUNCATE in the database; mistakes
are corrected by reversing entries; any sequence of bookings and reversals keeps every
entry balanced and every balance equal to the sum of its lines."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.support.citus import refused_at_commit
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.ledger.models import Account, LedgerEntry, LedgerLine
from wijknet.tenants.ledger.operations import (
    LedgerError,
    Line,
    balance,
    balances,
    ensure_account,
    post_entry,
    reverse_entry,
    reverse_source,
)

pytestmark = pytest.mark.tenancy


def _book(session, amount, *, source="test"):
    return post_entry(session, "Huur", [Line("bank", amount), Line("fees", -amount)], source=source)


def test_a_balanced_entry_is_booked_and_balances_follow(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        _book(session, 12_50)
        _book(session, 7_50)
        assert balance(session, "bank") == 20_00 and balance(session, "fees") == -20_00
        assert {a.ref: b for a, b in balances(session)} == {"bank": 20_00, "fees": -20_00}
        codes = {a.ref: a.code for a, _b in balances(session)}
    assert codes == {"bank": "1000", "fees": "8000"}


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([Line("bank", 100)], "ledger.too_few_lines"),
        ([Line("bank", 100), Line("fees", -99)], "ledger.unbalanced"),
        ([Line("bank", 0), Line("fees", 0)], "ledger.zero_line"),
        ([Line("bank", 1.5), Line("fees", -1.5)], "ledger.not_cents"),
        ([Line("bank", True), Line("fees", -1)], "ledger.not_cents"),
    ],
)
def test_an_unbalanced_or_odd_entry_is_refused_and_nothing_is_booked(engine, lab, lines, code):
    with tenant_unit_of_work(engine, lab) as session:
        with pytest.raises(LedgerError) as refused:
            post_entry(session, "Fout", lines)
        assert refused.value.code == code
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_the_database_refuses_an_unbalanced_entry_whatever_writes_it(engine, lab):
    with pytest.raises(DBAPIError, match=refused_at_commit(engine, "does not balance")):
        with tenant_unit_of_work(engine, lab) as session:
            ensure_account(session, "bank")
            ensure_account(session, "fees")
            entry = session.execute(text("INSERT INTO ledger_entries (description) VALUES ('los') RETURNING id")).scalar()
            bank = session.scalar(select(Account.id).where(Account.ref == "bank"))
            session.execute(
                text("INSERT INTO ledger_lines (entry_id, account_id, amount_cents) VALUES (:e, :a, 100)"),
                {"e": entry, "a": bank},
            )
    with pytest.raises(DBAPIError, match=refused_at_commit(engine, "does not balance")):
        with tenant_unit_of_work(engine, lab) as session:
            session.execute(text("INSERT INTO ledger_entries (description) VALUES ('zonder regels')"))
    with tenant_unit_of_work(engine, lab) as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_lines SET amount_cents = amount_cents * 2",
        "UPDATE ledger_entries SET description = 'anders'",
        "DELETE FROM ledger_lines",
        "DELETE FROM ledger_entries",
        "TRUNCATE ledger_lines CASCADE",
        "TRUNCATE ledger_entries CASCADE",
    ],
)
def test_the_journal_refuses_changes_in_the_database(engine, lab, statement):
    with tenant_unit_of_work(engine, lab) as session:
        _book(session, 5_00)
    with pytest.raises(DBAPIError, match="append-only"):
        with tenant_unit_of_work(engine, lab) as session:
            session.execute(text(statement))
    with tenant_unit_of_work(engine, lab) as session:
        assert balance(session, "bank") == 5_00


def test_a_mistake_is_corrected_by_a_reversing_entry_once(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        wrong = _book(session, 99_00, source="booking:1")
        reversal = reverse_entry(session, wrong.id, reason="verkeerd bedrag")
        assert reversal.reverses_id == wrong.id and "verkeerd bedrag" in reversal.description
        assert balance(session, "bank") == 0
        with pytest.raises(LedgerError) as twice:
            reverse_entry(session, wrong.id, reason="nog eens")
        assert (twice.value.code, twice.value.status) == ("ledger.already_reversed", 409)
        with pytest.raises(LedgerError) as of_reversal:
            reverse_entry(session, reversal.id, reason="terug")
        assert of_reversal.value.code == "ledger.reversal"
        with pytest.raises(LedgerError) as missing:
            reverse_entry(session, 10**12, reason="x")
        assert missing.value.status == 404
        _book(session, 10_00, source="booking:1")
        assert len(reverse_source(session, "booking:1", reason="geannuleerd")) == 1  # only the one not yet reversed
        assert balance(session, "bank") == 0 and reverse_source(session, "booking:1", reason="again") == []


def test_accounts_made_on_demand_get_the_next_code_of_their_kind(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        first = ensure_account(session, "payable:member:1", name="Te betalen aan Gerda", kind="liability")
        second = ensure_account(session, "payable:member:2", name="Te betalen aan Wim", kind="liability")
        again = ensure_account(session, "payable:member:1", name="anders", kind="liability")
        extra_bank = ensure_account(session, "bank-spaar", name="Spaarrekening", kind="asset")
        assert (first.code, second.code, again.id, extra_bank.code) == ("2000", "2001", first.id, "1100")
        with pytest.raises(LedgerError):
            ensure_account(session, "mystery")


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("book"), st.lists(st.integers(-(10**9), 10**9).filter(bool), min_size=1, max_size=5)),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
    ),
    max_size=25,
)
ACCOUNTS = ["bank", "receivable", "fees", "lab-share"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=OPERATIONS)
def test_any_sequence_of_bookings_and_reversals_stays_balanced(engine, lab, steps):
    with tenant_unit_of_work(engine, lab) as session:
        start = {ref: balance(session, ref) for ref in ACCOUNTS}
        booked = []
        expected = dict(start)
        for kind, value in steps:
            if kind == "book":
                if sum(value) == 0:
                    continue  # nothing to balance against
                lines = [Line(ACCOUNTS[i % len(ACCOUNTS)], amount) for i, amount in enumerate(value)]
                lines.append(Line("bank", -sum(value)))
                entry = post_entry(session, "Boeking", lines)
                booked.append((entry.id, lines))
                for line in lines:
                    expected[line.ref] += line.amount_cents
            elif booked:
                entry_id, lines = booked[value % len(booked)]
                try:
                    reverse_entry(session, entry_id, reason="test")
                except LedgerError:
                    continue  # already reversed: refused, nothing booked
                for line in lines:
                    expected[line.ref] -= line.amount_cents
        assert {ref: balance(session, ref) for ref in ACCOUNTS} == expected
        unbalanced = session.execute(
            select(LedgerLine.entry_id).group_by(LedgerLine.entry_id).having(func.sum(LedgerLine.amount_cents) != 0)
        ).all()
        assert unbalanced == []
    # and the database agreed at commit (the deferred check ran without complaint)
