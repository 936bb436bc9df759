"""the tenant switch as a function: platform.enter_tenant

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 13:30:00

The switch (platform/tenancy/uow.py) reads the lab's row of the registry and sets the
transaction's role, search_path and read-only state from it. Sent as a plain SELECT with
BEGIN, PostgreSQL parsed and planned that read in every transaction: about 60 µs on the
server, a third of the switch's cost on a light API request (issue 18). PL/pgSQL plans the
statements of a function once per connection.

The function runs as its caller, the application role (SECURITY INVOKER): a tenant role
that called it could not read the registry. It has no SET clause of its own on purpose:
with one, PostgreSQL would undo the function's `set_config(..., true)` when it returns.
Returns whether the lab was found in one of `statuses`; nothing is set when it was not.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION platform.enter_tenant(lab_id bigint, upkeep boolean, statuses text[], grace_days integer)
        RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE
            lab record;
            overdue_since timestamptz;
        BEGIN
            SELECT role_name, schema_name, status, billing_status, past_due_since, trial_ends_at, stripe_subscription_id
              INTO lab FROM platform.tenants WHERE id = lab_id AND status = ANY(statuses);
            IF NOT FOUND THEN
                RETURN false;
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
    op.execute("REVOKE ALL ON FUNCTION platform.enter_tenant(bigint, boolean, text[], integer) FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION platform.enter_tenant(bigint, boolean, text[], integer)")
