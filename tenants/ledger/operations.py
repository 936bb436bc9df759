"""Booking in the wijkboekhouding: accounts made when first needed, balanced entries,
reversals, balances. Other modules (assets, contracts) book through these functions only.

An entry is checked here (so the person gets a clear message) and again by the database
(models.GUARDS_SQL), which refuses an unbalanced entry and any change to the journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.refusals import DomainError

from .models import Account, LedgerEntry, LedgerLine

# The accounts every lab has once it books anything (ref: (code, name, kind)).
STANDARD_ACCOUNTS = {
    "bank": ("1000", "Bank", "asset"),
    "receivable": ("1300", "Te ontvangen", "asset"),
    "fees": ("8000", "Vergoeding coöperatie", "income"),
    "lab-share": ("8100", "Aandeel van de coöperatie in gedeelde bezittingen", "income"),
}
# Codes of accounts made on demand, by kind: the next free number in the range.
CODE_RANGES = {
    "asset": (1000, 1999),
    "liability": (2000, 2999),
    "equity": (3000, 3999),
    "expense": (4000, 7999),
    "income": (8000, 8999),
}
MAX_DESCRIPTION = 300


class LedgerError(DomainError):
    code = "ledger"


@dataclass(frozen=True)
class Line:
    """One line of an entry: `amount_cents` debits (positive) or credits (negative) the account `ref`."""

    ref: str
    amount_cents: int
    subject: str | None = None
    memo: str | None = None


def ensure_account(session: Session, ref: str, *, name: str | None = None, kind: str | None = None) -> Account:
    """The account `ref`, made when it does not exist yet (a standard one, or with `name` and
    `kind`). Two requests making the same account at once end with one."""
    found = session.scalars(select(Account).where(Account.ref == ref)).one_or_none()
    if found is not None:
        return found
    if ref in STANDARD_ACCOUNTS:
        code, name, kind = STANDARD_ACCOUNTS[ref]
    elif name is None or kind is None:
        raise LedgerError(f"No account {ref!r}, and no name and kind to make it.", code="ledger.no_account")
    else:
        code = _next_code(session, kind)
    session.execute(
        pg_insert(Account).values(ref=ref, code=code, name=name[:120], kind=kind).on_conflict_do_nothing(index_elements=["ref"])
    )
    return session.scalars(select(Account).where(Account.ref == ref)).one()


def _next_code(session: Session, kind: str) -> str:
    low, high = CODE_RANGES[kind]
    # One account code at a time per lab: numbers are handed out in order, never twice.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ledger-codes:' || current_schema()))"))
    taken = session.scalars(select(Account.code).where(Account.kind == kind)).all()
    numbers = {int(c) for c in taken if c.isdigit() and low <= int(c) <= high}
    start = low + 100 if kind in ("asset", "income") else low  # the first hundred: standard accounts
    for number in range(start, high + 1):
        if number not in numbers and str(number) not in STANDARD_CODES:
            return str(number)
    raise LedgerError(f"No free account code for {kind} accounts.", code="ledger.codes_exhausted")


STANDARD_CODES = {code for code, _name, _kind in STANDARD_ACCOUNTS.values()}


def post_entry(
    session: Session,
    description: str,
    lines: list[Line],
    *,
    source: str | None = None,
    actor_member_id: int | None = None,
    booked_at: datetime | None = None,
    reverses_id: int | None = None,
) -> LedgerEntry:
    """Book one balanced entry. Accounts must exist (ensure_account) or be standard ones."""
    description = (description or "").strip()
    if not description or len(description) > MAX_DESCRIPTION:
        raise LedgerError.on_field("description", _l("A description of 1 to 300 characters."), code="ledger.description")
    if len(lines) < 2:
        raise LedgerError(_l("An entry has at least two lines."), code="ledger.too_few_lines")
    if any(not isinstance(line.amount_cents, int) or isinstance(line.amount_cents, bool) for line in lines):
        raise LedgerError(_l("Amounts are whole cents."), code="ledger.not_cents")
    if any(line.amount_cents == 0 for line in lines):
        raise LedgerError(_l("A line of an entry is never zero."), code="ledger.zero_line")
    if sum(line.amount_cents for line in lines) != 0:
        raise LedgerError(_l("Debits and credits of an entry must be equal."), code="ledger.unbalanced")
    accounts = {line.ref: ensure_account(session, line.ref) for line in lines}
    entry = LedgerEntry(description=description, source=source, created_by=actor_member_id, reverses_id=reverses_id)
    if booked_at is not None:
        entry.booked_at = booked_at
    session.add(entry)
    session.flush()
    session.add_all(
        LedgerLine(
            entry_id=entry.id,
            account_id=accounts[line.ref].id,
            amount_cents=line.amount_cents,
            subject=line.subject,
            memo=line.memo,
        )
        for line in lines
    )
    session.flush()
    return entry


def reverse_entry(session: Session, entry_id: int, *, reason: str, actor_member_id: int | None = None) -> LedgerEntry:
    """Undo an entry with its mirror image (every line negated), once."""
    original = session.scalars(locked(select(LedgerEntry).where(LedgerEntry.id == entry_id))).one_or_none()
    if original is None:
        raise LedgerError(_l("There is no such entry."), code="ledger.no_entry", status=404)
    if original.reverses_id is not None:
        raise LedgerError(_l("A reversal is not reversed; book a new entry instead."), code="ledger.reversal", status=409)
    if session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry_id)) is not None:
        raise LedgerError(_l("This entry has already been reversed."), code="ledger.already_reversed", status=409)
    rows = session.execute(
        select(Account.ref, LedgerLine.amount_cents, LedgerLine.subject, LedgerLine.memo)
        .join(Account, Account.id == LedgerLine.account_id)
        .where(LedgerLine.entry_id == entry_id)
        .order_by(LedgerLine.id)
    ).all()
    # Stored in Dutch, like the accounts: the ledger is the lab's own record.
    return post_entry(
        session,
        f"Correctie van boeking {original.id} ({reason.strip()[:100]}): {original.description}"[:MAX_DESCRIPTION],
        [Line(ref, -amount, subject, memo) for ref, amount, subject, memo in rows],
        source=original.source,
        actor_member_id=actor_member_id,
        reverses_id=original.id,
    )


def entries_of(session: Session, source: str) -> list[LedgerEntry]:
    return session.scalars(select(LedgerEntry).where(LedgerEntry.source == source).order_by(LedgerEntry.id)).all()


def reverse_source(session: Session, source: str, *, reason: str, actor_member_id: int | None = None) -> list[LedgerEntry]:
    """Reverse every entry of `source` that is not a reversal and not reversed yet."""
    reversed_ids = set(
        session.scalars(select(LedgerEntry.reverses_id).where(LedgerEntry.source == source, LedgerEntry.reverses_id.is_not(None)))
    )
    return [
        reverse_entry(session, entry.id, reason=reason, actor_member_id=actor_member_id)
        for entry in entries_of(session, source)
        if entry.reverses_id is None and entry.id not in reversed_ids
    ]


def balance(session: Session, ref: str, *, subject: str | None = None) -> int:
    """Debits minus credits of the account `ref` (0 for an account that does not exist)."""
    query = select(func.coalesce(func.sum(LedgerLine.amount_cents), 0)).join(Account, Account.id == LedgerLine.account_id)
    query = query.where(Account.ref == ref)
    if subject is not None:
        query = query.where(LedgerLine.subject == subject)
    return int(session.scalar(query))


def balances(session: Session, *, prefix: str | None = None) -> list[tuple[Account, int]]:
    """Every account (or those whose ref starts with `prefix`) with its balance, by code."""
    total = func.coalesce(func.sum(LedgerLine.amount_cents), 0)
    query = select(Account, total).outerjoin(LedgerLine, LedgerLine.account_id == Account.id).group_by(Account.id)
    if prefix is not None:
        query = query.where(Account.ref.startswith(prefix, autoescape=True))
    return [(account, int(amount)) for account, amount in session.execute(query.order_by(Account.code))]


def copy_starter_accounts(model: Session, new: Session) -> int:
    """Starter kit: the model lab's chart of accounts, without anyone's personal accounts
    (payables and receivables of members and organisations) and without any entry."""
    copied = 0
    for account in model.scalars(select(Account).order_by(Account.code)):
        if ":" in account.ref:
            continue
        new.execute(
            pg_insert(Account)
            .values(ref=account.ref, code=account.code, name=account.name, kind=account.kind)
            .on_conflict_do_nothing()
        )
        copied += 1
    return copied
