"""platform.enter_tenant refuses a lab it cannot enter with an error, not with false

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:00:00

The tenant switch now travels in one message with the transaction's first statement
(platform/tenancy/uow.py, `SwitchingCursor`). PostgreSQL runs the statements of such a
message one after the other and stops at the first error, and only there: had the function
answered false, the statement after it would still run, as the application role. So a lab
that is not found in one of `statuses` is an error (SQLSTATE WN404, `uow.LAB_NOT_OPEN`)
and nothing after it runs. Otherwise the same function as in 0012: same arguments, same
settings, still SECURITY INVOKER, still no SET clause, EXECUTE still not granted to PUBLIC
(CREATE OR REPLACE keeps the privileges).
"""

from alembic import context, op
from alembic.script import ScriptDirectory

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION platform.enter_tenant(lab_id bigint, upkeep boolean, statuses text[], grace_days integer)
        RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE
            lab record;
            overdue_since timestamptz;
        BEGIN
            SELECT role_name, schema_name, status, billing_status, past_due_since, trial_ends_at, stripe_subscription_id
              INTO lab FROM platform.tenants WHERE id = lab_id AND status = ANY(statuses);
            IF NOT FOUND THEN
                RAISE EXCEPTION 'living lab % cannot be entered (gone, or not in %)', lab_id, statuses
                    USING ERRCODE = 'WN404';
            END IF;
            -- Billing: overdue, canceled, or a trial that ended without a subscription
            -- (the same rule as Tenant.overdue_since in Python).
            overdue_since := CASE
                WHEN lab.billing_status IN ('past_due', 'canceled') THEN lab.past_due_since
                WHEN lab.billing_status = 'trialing' AND lab.stripe_subscription_id IS NULL THEN lab.trial_ends_at
            END;
            PERFORM set_config('role', lab.role_name, true);
            -- pg_temp last: a temporary table can never shadow one of the lab's tables.
            PERFORM set_config('search_path', quote_ident(lab.schema_name) || ', pg_temp', true);
            -- Read-only when suspended, or overdue for longer than the grace period,
            -- unless this is the platform's own upkeep.
            PERFORM set_config(
                'transaction_read_only',
                CASE WHEN NOT upkeep AND (lab.status = 'suspended' OR overdue_since < now() - make_interval(days => grace_days))
                     THEN 'on' ELSE 'off' END,
                true);
            RETURN true;
        END
        $$
        """
    )


def downgrade() -> None:
    """Back to 0012's function, made by 0012's own upgrade (which also takes EXECUTE from PUBLIC)."""
    op.execute("DROP FUNCTION platform.enter_tenant(bigint, boolean, text[], integer)")
    script = ScriptDirectory.from_config(context.config)
    script.get_revision("0012").module.upgrade()
