"""Board tables (in every tenant schema): posts, reactions with their thread, matches and reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    REAL,
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from wijknet.platform.db import TenantBase

POST_KINDS = ("need", "offer")
DIGEST_FREQUENCIES = ("off", "daily", "weekly")
POST_STATUSES = ("pending", "open", "matched", "closed")
REACTION_KINDS = ("help", "interest")

POST_LANGUAGES = ("nl", "en")
# Title counts more than body; both with the stemmer of the post's language ("snoeien" and
# "snoei" meet; "painting" and "paint" too).
_CONFIG = "(CASE language WHEN 'en' THEN 'english'::regconfig ELSE 'dutch'::regconfig END)"
SEARCH_VECTOR = f"setweight(to_tsvector({_CONFIG}, title), 'A') || setweight(to_tsvector({_CONFIG}, body), 'B')"


class Post(TenantBase):
    """A need or an offer. `pending` waits for a moderator when the board asks for approval."""

    __tablename__ = "board_posts"
    __table_args__ = (
        CheckConstraint(f"kind IN {POST_KINDS!r}", name="kind_known"),
        CheckConstraint(f"status IN {POST_STATUSES!r}", name="status_known"),
        CheckConstraint(f"language IN {POST_LANGUAGES!r}", name="language_known"),
        Index("ix_board_posts_search", "search", postgresql_using="gin"),
        Index("ix_board_posts_categories", "categories", postgresql_using="gin"),
        Index("ix_board_posts_listing", "status", "created_at"),
        Index("ix_board_posts_kind_listing", "kind", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    organisation: Mapped[str | None] = mapped_column(Text)
    area: Mapped[str | None] = mapped_column(Text)
    # Detected from the words when the post is saved (wording.detect_language).
    language: Mapped[str] = mapped_column(Text, server_default="nl")
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, server_default="open")
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When members could first see it (creation, or approval on a board that asks for it):
    # the digest's "new since" is counted from here.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
    search = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR, persisted=True))


class Reaction(TenantBase):
    """'Ik kan helpen' (help) or 'interesse' (interest) on a post; opens a thread with the author."""

    __tablename__ = "board_reactions"
    __table_args__ = (
        CheckConstraint(f"kind IN {REACTION_KINDS!r}", name="kind_known"),
        UniqueConstraint("post_id", "responder_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("board_posts.id", ondelete="CASCADE"), index=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ThreadMessage(TenantBase):
    """A message in the thread of a reaction, between the post's author and the responder."""

    __tablename__ = "board_messages"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reaction_id: Mapped[int] = mapped_column(ForeignKey("board_reactions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Match(TenantBase):
    """The pair the author marked (which reaction, when); confirmed when the responder agrees too."""

    __tablename__ = "board_matches"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("board_posts.id", ondelete="CASCADE"), unique=True)
    reaction_id: Mapped[int] = mapped_column(ForeignKey("board_reactions.id", ondelete="CASCADE"))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Report(TenantBase):
    """A member's report that a post breaks the rules; moderators resolve it."""

    __tablename__ = "board_reports"
    __table_args__ = (UniqueConstraint("post_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("board_posts.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationPreference(TenantBase):
    """What a member wants by email from the board: a digest of new posts in chosen
    categories (off, daily or weekly), reminders before their own posts expire, and the
    language of those emails. No row: no digest, reminders on, Dutch."""

    __tablename__ = "board_notification_preferences"
    __table_args__ = (
        CheckConstraint(f"digest IN {DIGEST_FREQUENCIES!r}", name="digest_known"),
        CheckConstraint("language IN ('nl', 'en')", name="language_known"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(Text, server_default="off")
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    reminders: Mapped[bool] = mapped_column(server_default=text("true"))
    # Email when someone reacts to their post, marks or confirms a match, or writes in a
    # conversation (the in-app list of notices has them all the same).
    activity: Mapped[bool] = mapped_column(server_default=text("true"))
    language: Mapped[str] = mapped_column(Text, server_default="nl")
    # The next digest holds the posts published after this moment.
    digest_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class PostIndex(TenantBase):
    """What the matching job read from a post (indexing.py): its content terms and two
    sentence embeddings (title and body; title alone), float32 bytes of the named model."""

    __tablename__ = "board_post_index"

    post_id: Mapped[int] = mapped_column(ForeignKey("board_posts.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(Text)
    title_terms: Mapped[list[str]] = mapped_column(ARRAY(Text))
    body_terms: Mapped[list[str]] = mapped_column(ARRAY(Text))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    title_vector: Mapped[bytes] = mapped_column(LargeBinary)
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Neighbour(TenantBase):
    """How well `other` answers `post` (0 to 1, what the words and their meaning share),
    written by the matching job for the best candidates of the other kind. Suggestions are
    read from here; status, category, area and age are added at request time."""

    __tablename__ = "board_neighbours"

    post_id: Mapped[int] = mapped_column(ForeignKey("board_posts.id", ondelete="CASCADE"), primary_key=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("board_posts.id", ondelete="CASCADE"), primary_key=True, index=True)
    content: Mapped[float] = mapped_column(REAL)


NOTICE_KINDS = ("reaction", "message", "match_marked", "match_confirmed")


class Notice(TenantBase):
    """Something that happened for a member on the board: a reaction to their post, a
    message in their conversation, a match marked or confirmed. The member's in-app list;
    `emailed_at` when it also went out by email."""

    __tablename__ = "board_notices"
    __table_args__ = (
        CheckConstraint(f"kind IN {NOTICE_KINDS!r}", name="kind_known"),
        Index("ix_board_notices_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    post_id: Mapped[int] = mapped_column(ForeignKey("board_posts.id", ondelete="CASCADE"), index=True)
    reaction_id: Mapped[int | None] = mapped_column(ForeignKey("board_reactions.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
