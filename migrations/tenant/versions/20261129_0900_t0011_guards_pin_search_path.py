"""guards pin their search_path: the ledger's and the asset shares' trigger functions read
tables of their own schema by name, so they carry that schema with them (on Citus they run
on a worker, in a connection whose search_path is not the tenant's, on a shard whose name
is not the table's)

Revision ID: t0011
Revises: t0010
Create Date: 2026-11-29 09:00:00
"""

from alembic import op

from wijknet.platform.sql_script import statements

revision = "t0011"
down_revision = "t0010"
branch_labels = None
depends_on = None

# The ledger's two functions as they are now: they no longer read the table's name, which on
# Citus is a shard's (ledger_lines_102008).
LEDGER_FUNCTIONS = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % is refused; correct it with a reversing entry',
    TG_OP, regexp_replace(TG_TABLE_NAME, '_[0-9]+$', '')  -- on Citus the trigger runs on a shard: ledger_lines_102008
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
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
"""
ASSET_GUARDS = ("asset_shares_check_total", "asset_shares_refuse_change")
GUARDS = ("ledger_refuse_change", "ledger_check_balanced", *ASSET_GUARDS)


def upgrade() -> None:
    # The migration runs with the tenant's schema on the search_path (migrate.py).
    for statement in statements(LEDGER_FUNCTIONS):
        op.execute(statement)
    # A written-out value, not FROM CURRENT: Citus refuses that form for a distributed function.
    path = op.get_bind().exec_driver_sql("SHOW search_path").scalar()
    for name in ASSET_GUARDS:
        op.execute(f"ALTER FUNCTION {name}() SET search_path = {path}")


def downgrade() -> None:
    for name in GUARDS:
        op.execute(f"ALTER FUNCTION {name}() RESET search_path")
