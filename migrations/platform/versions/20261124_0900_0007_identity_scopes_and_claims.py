"""identities of a living lab's own provider are scoped to that lab; account claims; sign-out everywhere

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00

A lab's own provider may be run by that lab's admin, so what it says (email, subject) is
trusted for that lab only (docs/decisions/0003). Users and identities made through it carry
the lab's id; the database keeps such users out of staff and out of other labs.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("tenant_id", sa.BigInteger(), nullable=True), schema="platform")
    op.add_column(
        "users", sa.Column("session_generation", sa.Integer(), server_default=sa.text("0"), nullable=False), schema="platform"
    )
    op.alter_column("users", "email", existing_type=sa.Text(), nullable=True, schema="platform")
    # Placeholders of logins without a usable address become "no address".
    op.execute("UPDATE platform.users SET email = NULL WHERE email LIKE '%.invalid'")
    op.create_foreign_key(
        op.f("fk_users_tenant_id_tenants"),
        "users",
        "tenants",
        ["tenant_id"],
        ["id"],
        source_schema="platform",
        referent_schema="platform",
        ondelete="CASCADE",
    )
    op.create_index(op.f("ix_users_tenant_id"), "users", ["tenant_id"], unique=False, schema="platform")
    op.create_check_constraint(
        op.f("ck_users_staff_is_network_wide"), "users", "NOT (is_staff AND tenant_id IS NOT NULL)", schema="platform"
    )
    op.drop_index("uq_users_email_lower", table_name="users", schema="platform")
    op.create_index(
        "uq_users_email_lower",
        "users",
        [sa.text("lower(email)")],
        unique=True,
        schema="platform",
        postgresql_where=sa.text("tenant_id IS NULL"),
    )
    op.create_index(
        "uq_users_tenant_id_email_lower",
        "users",
        ["tenant_id", sa.text("lower(email)")],
        unique=True,
        schema="platform",
        postgresql_where=sa.text("tenant_id IS NOT NULL"),
    )

    op.add_column("identities", sa.Column("tenant_id", sa.BigInteger(), nullable=True), schema="platform")
    op.create_foreign_key(
        op.f("fk_identities_tenant_id_tenants"),
        "identities",
        "tenants",
        ["tenant_id"],
        ["id"],
        source_schema="platform",
        referent_schema="platform",
        ondelete="CASCADE",
    )
    op.drop_constraint("uq_identities_issuer_subject", "identities", schema="platform", type_="unique")
    op.create_unique_constraint(
        op.f("uq_identities_issuer_subject_tenant_id"),
        "identities",
        ["issuer", "subject", "tenant_id"],
        schema="platform",
        postgresql_nulls_not_distinct=True,
    )

    # A lab-scoped user is a member of its own lab only; the one function that adds members
    # checks it too, this keeps every other path honest.
    op.execute("""
        CREATE FUNCTION platform.membership_in_home_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM platform.users u WHERE u.id = NEW.user_id
                       AND u.tenant_id IS NOT NULL AND u.tenant_id <> NEW.tenant_id) THEN
                RAISE EXCEPTION 'user % belongs to another living lab', NEW.user_id USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER membership_in_home_tenant BEFORE INSERT OR UPDATE OF tenant_id, user_id ON platform.memberships
        FOR EACH ROW EXECUTE FUNCTION platform.membership_in_home_tenant()
    """)

    op.create_table(
        "account_claims",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["platform.users.id"], name=op.f("fk_account_claims_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_claims")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_claims_token_hash")),
        schema="platform",
    )
    op.create_index(op.f("ix_account_claims_user_id"), "account_claims", ["user_id"], unique=False, schema="platform")


def downgrade() -> None:
    op.drop_table("account_claims", schema="platform")
    op.execute("DROP TRIGGER membership_in_home_tenant ON platform.memberships")
    op.execute("DROP FUNCTION platform.membership_in_home_tenant()")
    op.drop_constraint(op.f("uq_identities_issuer_subject_tenant_id"), "identities", schema="platform", type_="unique")
    op.execute("DELETE FROM platform.identities WHERE tenant_id IS NOT NULL")
    op.create_unique_constraint("uq_identities_issuer_subject", "identities", ["issuer", "subject"], schema="platform")
    op.drop_constraint(op.f("fk_identities_tenant_id_tenants"), "identities", schema="platform", type_="foreignkey")
    op.drop_column("identities", "tenant_id", schema="platform")
    op.execute("DELETE FROM platform.users WHERE tenant_id IS NOT NULL")
    op.drop_index("uq_users_tenant_id_email_lower", table_name="users", schema="platform")
    op.drop_index("uq_users_email_lower", table_name="users", schema="platform")
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True, schema="platform")
    op.drop_constraint(op.f("ck_users_staff_is_network_wide"), "users", schema="platform", type_="check")
    op.drop_index(op.f("ix_users_tenant_id"), table_name="users", schema="platform")
    op.drop_constraint(op.f("fk_users_tenant_id_tenants"), "users", schema="platform", type_="foreignkey")
    op.execute("UPDATE platform.users SET email = 'user-' || id || '@unknown.invalid' WHERE email IS NULL")
    op.alter_column("users", "email", existing_type=sa.Text(), nullable=False, schema="platform")
    op.drop_column("users", "session_generation", schema="platform")
    op.drop_column("users", "tenant_id", schema="platform")
