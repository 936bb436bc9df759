"""Reading the wijkboekhouding: accounts with their balances, the journal page by page, the
lines for the CSV export, and the public summary in which private persons are never named.

Balances are sums of lines (debit positive, credit negative); nothing is stored twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Account, LedgerEntry, LedgerLine

# How each kind of account reads in plain language: its balance as people say it (an
# income account's credit is money earned, so its sign is turned).
SIGN = {"asset": 1, "expense": 1, "liability": -1, "equity": -1, "income": -1}
KIND_ORDER = ("asset", "liability", "equity", "income", "expense")
PRIVATE_PREFIX = "payable:member:"  # what the lab owes a private person: never named in public


@dataclass(frozen=True)
class AccountRow:
    account: Account
    balance_cents: int  # as people read it (SIGN applied)


def accounts(session: Session) -> list[AccountRow]:
    total = func.coalesce(func.sum(LedgerLine.amount_cents), 0)
    rows = session.execute(
        select(Account, total)
        .outerjoin(LedgerLine, LedgerLine.account_id == Account.id)
        .group_by(Account.id)
        .order_by(Account.code)
    ).all()
    return [AccountRow(account, SIGN[account.kind] * int(amount)) for account, amount in rows]


@dataclass
class EntryRow:
    entry: LedgerEntry
    lines: list[tuple[LedgerLine, Account]] = field(default_factory=list)
    reversed_by: int | None = None


def journal(session: Session, *, limit: int, offset: int) -> tuple[list[EntryRow], int]:
    """Entries newest first, with their lines and accounts; (page, total)."""
    total = session.scalar(select(func.count()).select_from(LedgerEntry))
    entries = session.scalars(
        select(LedgerEntry).order_by(LedgerEntry.booked_at.desc(), LedgerEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    rows = {entry.id: EntryRow(entry) for entry in entries}
    if rows:
        for line, account in session.execute(
            select(LedgerLine, Account)
            .join(Account, Account.id == LedgerLine.account_id)
            .where(LedgerLine.entry_id.in_(rows))
            .order_by(LedgerLine.id)
        ):
            rows[line.entry_id].lines.append((line, account))
        for original, reversal in session.execute(
            select(LedgerEntry.reverses_id, LedgerEntry.id).where(LedgerEntry.reverses_id.in_(rows))
        ):
            rows[original].reversed_by = reversal
    return list(rows.values()), total


def export_lines(session: Session, *, batch: int = 2000) -> Iterator[tuple]:
    """Every line of the journal in booking order, for the CSV export (fetched in batches)."""
    query = (
        select(
            LedgerEntry.id,
            LedgerEntry.booked_at,
            LedgerEntry.description,
            LedgerEntry.source,
            LedgerEntry.reverses_id,
            Account.code,
            Account.name,
            LedgerLine.amount_cents,
            LedgerLine.subject,
        )
        .join(LedgerLine, LedgerLine.entry_id == LedgerEntry.id)
        .join(Account, Account.id == LedgerLine.account_id)
        .order_by(LedgerEntry.id, LedgerLine.id)
        .execution_options(yield_per=batch)
    )
    yield from session.execute(query)


@dataclass(frozen=True)
class PublicSummary:
    """The neighbourhood's money in plain language, without private persons' names."""

    cash_cents: int  # bank and other asset accounts
    income: list[tuple[str, int]]  # (account name, earned)
    expenses: list[tuple[str, int]]
    owed_to_organisations: list[tuple[str, int]]
    owed_to_residents_cents: int  # what the lab owes private persons, together
    residents_owed: int  # how many
    entries: int
    since: datetime | None


def public_summary(session: Session) -> PublicSummary:
    rows = accounts(session)
    owed_people = [row for row in rows if row.account.ref.startswith(PRIVATE_PREFIX) and row.balance_cents]
    return PublicSummary(
        cash_cents=sum(row.balance_cents for row in rows if row.account.kind == "asset"),
        income=[(row.account.name, row.balance_cents) for row in rows if row.account.kind == "income" and row.balance_cents],
        expenses=[(row.account.name, row.balance_cents) for row in rows if row.account.kind == "expense" and row.balance_cents],
        owed_to_organisations=[
            (row.account.name, row.balance_cents)
            for row in rows
            if row.account.kind == "liability" and not row.account.ref.startswith(PRIVATE_PREFIX) and row.balance_cents
        ],
        owed_to_residents_cents=sum(row.balance_cents for row in owed_people),
        residents_owed=len(owed_people),
        entries=session.scalar(select(func.count()).select_from(LedgerEntry)),
        since=session.scalar(select(func.min(LedgerEntry.booked_at))),
    )
