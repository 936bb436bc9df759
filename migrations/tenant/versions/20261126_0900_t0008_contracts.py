"""wijkbedrijf contracts: contracts with their counterparty, budget lines, milestones and
social-return commitments, every status change, the approvals and the members' votes,
progress reports and documents; contact persons of organisations

Revision ID: t0008
Revises: t0007
Create Date: 2026-11-26 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "t0008"
down_revision = "t0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), server_default="", nullable=False),
        sa.Column("counterparty_id", sa.BigInteger(), nullable=True),
        sa.Column("contract_type", sa.Text(), server_default="other", nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("approvers_required", sa.Integer(), nullable=False),
        sa.Column("vote_threshold_cents", sa.BigInteger(), nullable=False),
        sa.Column("quorum_percent", sa.Integer(), nullable=False),
        sa.Column("vote_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vote_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vote_closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vote_passed", sa.Boolean(), nullable=True),
        sa.Column("proposed_by", sa.BigInteger(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("sroi_percent", sa.Integer(), nullable=True),
        sa.Column("sroi_hours", sa.Integer(), nullable=True),
        sa.Column("sroi_participants", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "contract_type IN ('green_maintenance', 'housing_maintenance', 'care_wellbeing', 'collective_discount', 'other')",
            name=op.f("ck_contracts_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'proposed', 'approved', 'signed', 'active', 'completed', 'terminated')",
            name=op.f("ck_contracts_status_known"),
        ),
        sa.CheckConstraint(
            "(sroi_percent IS NULL OR sroi_percent BETWEEN 0 AND 100) AND (sroi_hours IS NULL OR sroi_hours >= 0) AND (sroi_participants IS NULL OR sroi_participants >= 0)",
            name=op.f("ck_contracts_sroi_sane"),
        ),
        sa.CheckConstraint("approvers_required BETWEEN 1 AND 20", name=op.f("ck_contracts_approvers_sane")),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name=op.f("ck_contracts_period_in_order")
        ),
        sa.CheckConstraint("quorum_percent BETWEEN 0 AND 100", name=op.f("ck_contracts_quorum_sane")),
        sa.CheckConstraint("value_cents >= 0", name=op.f("ck_contracts_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["counterparty_id"], ["organisations.id"], name=op.f("fk_contracts_counterparty_id_organisations")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_contracts_created_by_members")),
        sa.ForeignKeyConstraint(["proposed_by"], ["members.id"], name=op.f("fk_contracts_proposed_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    op.create_table(
        "organisation_contacts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), server_default="", nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_organisation_contacts_member_id_members")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_contacts_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_contacts")),
    )
    op.create_index(op.f("ix_organisation_contacts_organisation_id"), "organisation_contacts", ["organisation_id"], unique=False)
    op.create_table(
        "contract_approvals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_approvals_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_contract_approvals_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_approvals")),
        sa.UniqueConstraint("contract_id", "member_id", name="uq_contract_approvals_once_per_member"),
    )
    op.create_table(
        "contract_budget_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_contract_budget_lines_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_budget_lines_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_budget_lines")),
    )
    op.create_index(op.f("ix_contract_budget_lines_contract_id"), "contract_budget_lines", ["contract_id"], unique=False)
    op.create_table(
        "contract_documents",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["added_by"], ["members.id"], name=op.f("fk_contract_documents_added_by_members")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_documents_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_documents")),
    )
    op.create_index(op.f("ix_contract_documents_contract_id"), "contract_documents", ["contract_id"], unique=False)
    op.create_table(
        "contract_milestones",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("weight_percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), server_default="planned", nullable=False),
        sa.Column("payment_cents", sa.BigInteger(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('planned', 'in_progress', 'done')", name=op.f("ck_contract_milestones_status_known")),
        sa.CheckConstraint(
            "payment_cents IS NULL OR payment_cents >= 0", name=op.f("ck_contract_milestones_payment_not_negative")
        ),
        sa.CheckConstraint("weight_percent BETWEEN 1 AND 100", name=op.f("ck_contract_milestones_weight_sane")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_milestones_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_milestones")),
    )
    op.create_index(op.f("ix_contract_milestones_contract_id"), "contract_milestones", ["contract_id"], unique=False)
    op.create_table(
        "contract_transitions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("actor_member_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_member_id"], ["members.id"], name=op.f("fk_contract_transitions_actor_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_transitions_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_transitions")),
    )
    op.create_index(op.f("ix_contract_transitions_contract_id"), "contract_transitions", ["contract_id"], unique=False)
    op.create_table(
        "contract_votes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("choice", sa.Text(), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("choice IN ('for', 'against', 'abstain')", name=op.f("ck_contract_votes_choice_known")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_votes_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_contract_votes_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_votes")),
        sa.UniqueConstraint("contract_id", "member_id", name="uq_contract_votes_once_per_member"),
    )
    op.create_table(
        "contract_progress_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("milestone_id", sa.BigInteger(), nullable=True),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo_key", sa.Text(), nullable=True),
        sa.Column("hours", sa.Integer(), server_default="0", nullable=False),
        sa.Column("participants", sa.Integer(), server_default="0", nullable=False),
        sa.Column("local_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "hours >= 0 AND participants >= 0 AND local_cents >= 0", name=op.f("ck_contract_progress_reports_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"], name=op.f("fk_contract_progress_reports_author_id_members")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_progress_reports_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["contract_milestones.id"],
            name=op.f("fk_contract_progress_reports_milestone_id_contract_milestones"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_progress_reports")),
    )
    op.create_index(op.f("ix_contract_progress_reports_contract_id"), "contract_progress_reports", ["contract_id"], unique=False)


def downgrade() -> None:
    op.drop_table("contract_documents")
    op.drop_table("organisation_contacts")
    op.drop_table("contract_progress_reports")
    op.drop_table("contract_votes")
    op.drop_table("contract_transitions")
    op.drop_table("contract_milestones")
    op.drop_table("contract_budget_lines")
    op.drop_table("contract_approvals")
    op.drop_table("contracts")
