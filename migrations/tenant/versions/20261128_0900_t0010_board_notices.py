"""board notices: a member's in-app list of reactions, messages and matches, and whether
they want those by email

Revision ID: t0010
Revises: t0009
Create Date: 2026-11-28 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "t0010"
down_revision = "t0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "board_notification_preferences", sa.Column("activity", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.create_table(
        "board_notices",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("reaction_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('reaction', 'message', 'match_marked', 'match_confirmed')", name=op.f("ck_board_notices_kind_known")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["board_posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reaction_id"], ["board_reactions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_board_notices_member_created", "board_notices", ["member_id", "created_at"], unique=False)
    op.create_index(op.f("ix_board_notices_post_id"), "board_notices", ["post_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_board_notices_post_id"), table_name="board_notices")
    op.drop_index("ix_board_notices_member_created", table_name="board_notices")
    op.drop_table("board_notices")
    op.drop_column("board_notification_preferences", "activity")
