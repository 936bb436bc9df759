"""board matching, second round: a post's language (its search index follows it), what the
matching job read from each post, and the pairs it found

Revision ID: t0009
Revises: t0008
Create Date: 2026-11-27 09:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0009"
down_revision = "t0008"
branch_labels = None
depends_on = None

_CONFIG = "(CASE language WHEN 'en' THEN 'english'::regconfig ELSE 'dutch'::regconfig END)"
_SEARCH = f"setweight(to_tsvector({_CONFIG}, title), 'A') || setweight(to_tsvector({_CONFIG}, body), 'B')"
_DUTCH = "setweight(to_tsvector('dutch'::regconfig, title), 'A') || setweight(to_tsvector('dutch'::regconfig, body), 'B')"


def _search_column(expression: str) -> None:
    # A generated column's expression cannot be altered: drop it and add it again.
    op.drop_index("ix_board_posts_search", table_name="board_posts")
    op.drop_column("board_posts", "search")
    op.add_column("board_posts", sa.Column("search", postgresql.TSVECTOR(), sa.Computed(expression, persisted=True)))
    op.create_index("ix_board_posts_search", "board_posts", ["search"], postgresql_using="gin")


def upgrade() -> None:
    op.add_column("board_posts", sa.Column("language", sa.Text(), server_default="nl", nullable=False))
    op.create_check_constraint(op.f("ck_board_posts_language_known"), "board_posts", "language IN ('nl', 'en')")
    _search_column(_SEARCH)
    op.create_table(
        "board_post_index",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("title_terms", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("body_terms", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("title_vector", sa.LargeBinary(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["board_posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id"),
    )
    op.create_table(
        "board_neighbours",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("other_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.REAL(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["board_posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["board_posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "other_id"),
    )
    op.create_index(op.f("ix_board_neighbours_other_id"), "board_neighbours", ["other_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_board_neighbours_other_id"), table_name="board_neighbours")
    op.drop_table("board_neighbours")
    op.drop_table("board_post_index")
    _search_column(_DUTCH)
    op.drop_constraint(op.f("ck_board_posts_language_known"), "board_posts", type_="check")
    op.drop_column("board_posts", "language")
