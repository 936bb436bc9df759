"""board: posts (Dutch full-text search), reactions with threads, matches and reports

Revision ID: t0002
Revises: t0001
Create Date: 2026-11-23 10:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None

SEARCH_VECTOR = "setweight(to_tsvector('dutch'::regconfig, title), 'A') || setweight(to_tsvector('dutch'::regconfig, body), 'B')"


def upgrade() -> None:
    op.create_table(
        "board_posts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("area", sa.Text(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("hidden_by", sa.BigInteger(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("search", postgresql.TSVECTOR(), sa.Computed(SEARCH_VECTOR, persisted=True), nullable=True),
        sa.CheckConstraint("kind IN ('need', 'offer')", name=op.f("ck_board_posts_kind_known")),
        sa.CheckConstraint("status IN ('pending', 'open', 'matched', 'closed')", name=op.f("ck_board_posts_status_known")),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"], name=op.f("fk_board_posts_author_id_members")),
        sa.ForeignKeyConstraint(["hidden_by"], ["members.id"], name=op.f("fk_board_posts_hidden_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_posts")),
    )
    op.create_index(op.f("ix_board_posts_author_id"), "board_posts", ["author_id"], unique=False)
    op.create_index("ix_board_posts_search", "board_posts", ["search"], unique=False, postgresql_using="gin")
    op.create_index("ix_board_posts_categories", "board_posts", ["categories"], unique=False, postgresql_using="gin")
    op.create_index("ix_board_posts_listing", "board_posts", ["status", "created_at"], unique=False)
    op.create_index("ix_board_posts_kind_listing", "board_posts", ["kind", "status", "created_at"], unique=False)
    op.create_table(
        "board_reactions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("responder_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('help', 'interest')", name=op.f("ck_board_reactions_kind_known")),
        sa.ForeignKeyConstraint(
            ["post_id"], ["board_posts.id"], name=op.f("fk_board_reactions_post_id_board_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["responder_id"], ["members.id"], name=op.f("fk_board_reactions_responder_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_reactions")),
        sa.UniqueConstraint("post_id", "responder_id", name=op.f("uq_board_reactions_post_id_responder_id")),
    )
    op.create_index(op.f("ix_board_reactions_post_id"), "board_reactions", ["post_id"], unique=False)
    op.create_index(op.f("ix_board_reactions_responder_id"), "board_reactions", ["responder_id"], unique=False)
    op.create_table(
        "board_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reaction_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"], name=op.f("fk_board_messages_author_id_members")),
        sa.ForeignKeyConstraint(
            ["reaction_id"],
            ["board_reactions.id"],
            name=op.f("fk_board_messages_reaction_id_board_reactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_messages")),
    )
    op.create_index(op.f("ix_board_messages_reaction_id"), "board_messages", ["reaction_id"], unique=False)
    op.create_table(
        "board_matches",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("reaction_id", sa.BigInteger(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["board_posts.id"], name=op.f("fk_board_matches_post_id_board_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reaction_id"], ["board_reactions.id"], name=op.f("fk_board_matches_reaction_id_board_reactions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_matches")),
        sa.UniqueConstraint("post_id", name=op.f("uq_board_matches_post_id")),
    )
    op.create_table(
        "board_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("reporter_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["board_posts.id"], name=op.f("fk_board_reports_post_id_board_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["reporter_id"], ["members.id"], name=op.f("fk_board_reports_reporter_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_reports")),
        sa.UniqueConstraint("post_id", "reporter_id", name=op.f("uq_board_reports_post_id_reporter_id")),
    )
    op.create_index(op.f("ix_board_reports_post_id"), "board_reports", ["post_id"], unique=False)


def downgrade() -> None:
    op.drop_table("board_reports")
    op.drop_table("board_matches")
    op.drop_table("board_messages")
    op.drop_table("board_reactions")
    op.drop_table("board_posts")
