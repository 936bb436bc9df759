"""a tenant being deleted is marked first; tenant roles may not create temporary tables

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:10:00

Temporary tables made in one tenant's transaction would survive on the pooled connection
and could shadow another tenant's tables. Tenant roles get the TEMPORARY privilege only
through PUBLIC, so it is revoked from PUBLIC on this database and granted to the
application role (the role running this migration) alone. The unit of work also names
pg_temp last in the search path.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_tenants_status_known"), "tenants", schema="platform", type_="check")
    op.create_check_constraint(
        op.f("ck_tenants_status_known"),
        "tenants",
        "status IN ('provisioning', 'active', 'suspended', 'deleting')",
        schema="platform",
    )
    op.execute("""
        DO $$ BEGIN
            EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
            EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), current_user);
        END $$
    """)


def downgrade() -> None:
    op.execute("""
        DO $$ BEGIN
            EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
        END $$
    """)
    op.execute("UPDATE platform.tenants SET status = 'suspended' WHERE status = 'deleting'")
    op.drop_constraint(op.f("ck_tenants_status_known"), "tenants", schema="platform", type_="check")
    op.create_check_constraint(
        op.f("ck_tenants_status_known"), "tenants", "status IN ('provisioning', 'active', 'suspended')", schema="platform"
    )
