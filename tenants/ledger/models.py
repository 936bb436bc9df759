"""The wijkboekhouding's tables (in every tenant schema): accounts, and an append-only
double-entry journal of entries, each made of lines that sum to zero.

The database holds the two rules itself, whatever code writes to it:
- an entry balances: a deferred constraint trigger checks, at commit, that every entry has
  at least two lines and that they sum to zero;
- the journal is append-only: UPDATE, DELETE and TRUNCATE of entries and lines are
  refused. A mistake is corrected by a reversing entry (operations.reverse_entry).

Amounts are integer cents; a positive amount is a debit, a negative one a credit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Index, Text, event, func, text
from sqlalchemy.orm import Mapped, mapped_column

from wijknet.platform.db import TenantBase
from wijknet.platform.sql_script import statements

ACCOUNT_KINDS = ("asset", "liability", "equity", "income", "expense")


class Account(TenantBase):
    """An account of the lab. `ref` is the stable name code uses ("bank", "fees",
    "payable:member:12"); `code` the number people see (1000 bank, 8000 fees)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (CheckConstraint(f"kind IN {ACCOUNT_KINDS!r}", name="kind_known"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    ref: Mapped[str] = mapped_column(Text, unique=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerEntry(TenantBase):
    """One balanced booking: what happened, when, why, and what it reverses (if anything)."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    description: Mapped[str] = mapped_column(Text)
    # What caused it, e.g. "booking:15" or "payout:member:12": its entries are found again.
    source: Mapped[str | None] = mapped_column(Text, index=True)
    # A reversal names the entry it undoes; an entry is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class LedgerLine(TenantBase):
    __tablename__ = "ledger_lines"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        Index("ix_ledger_lines_account_id_entry_id", "account_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # What the line is about, for the views per asset or contract: "asset:3", "contract:5".
    subject: Mapped[str | None] = mapped_column(Text, index=True)
    memo: Mapped[str | None] = mapped_column(Text)


# The journal's rules in the database (also in migrations t0006 and t0011; tests compare the two).
GUARDS_SQL = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % is refused; correct it with a reversing entry',
    TG_OP, regexp_replace(TG_TABLE_NAME, '_[0-9]+$', '')  -- on Citus the trigger runs on a shard: ledger_lines_102008
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  entry bigint;
  total bigint;
  lines integer;
BEGIN
  IF to_jsonb(NEW) ? 'entry_id' THEN  -- a line (not the table's name: on Citus that is a shard's)
    entry := NEW.entry_id;
  ELSE
    entry := NEW.id;
  END IF;
  SELECT coalesce(sum(amount_cents), 0), count(*) INTO total, lines FROM ledger_lines WHERE entry_id = entry;
  IF lines < 2 OR total <> 0 THEN
    RAISE EXCEPTION 'ledger entry % does not balance: % lines summing to % cents', entry, lines, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_lines_append_only BEFORE UPDATE OR DELETE ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE CONSTRAINT TRIGGER ledger_entries_have_lines AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
"""


@event.listens_for(LedgerLine.__table__, "after_create")
def _create_guards(_table, connection, **_kw) -> None:
    for statement in statements(GUARDS_SQL):
        connection.execute(text(statement))  # text(): the driver's % escaping is done for us
