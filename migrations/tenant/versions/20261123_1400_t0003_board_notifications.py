"""board notifications: when a post was published, and each member's email preferences

Revision ID: t0003
Revises: t0002
Create Date: 2026-11-23 14:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0003"
down_revision = "t0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("board_posts", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE board_posts SET published_at = created_at WHERE status <> 'pending'")
    op.create_index(op.f("ix_board_posts_published_at"), "board_posts", ["published_at"], unique=False)
    op.create_table(
        "board_notification_preferences",
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.Text(), server_default="off", nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("reminders", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("language", sa.Text(), server_default="nl", nullable=False),
        sa.Column("digest_since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("digest IN ('off', 'daily', 'weekly')", name=op.f("ck_board_notification_preferences_digest_known")),
        sa.CheckConstraint("language IN ('nl', 'en')", name=op.f("ck_board_notification_preferences_language_known")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_board_notification_preferences_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_board_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("board_notification_preferences")
    op.drop_index(op.f("ix_board_posts_published_at"), table_name="board_posts")
    op.drop_column("board_posts", "published_at")
