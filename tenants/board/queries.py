"""Reading the board: the filtered, paginated list and a member's own posts (no N+1:
each list is one count and one query that brings the author's name along)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select, text
from sqlalchemy.orm import Session

from wijknet.tenants.core.models import Member

from .access import readable
from .models import POST_KINDS, Match, Post, Reaction, ThreadMessage
from .schemas import clean_area

PAGE_SIZE = 20

# The one "live post" rule: open (so published), not hidden, not past its last day in the
# lab's calendar. The board, the suggestions, reminders and digests all use it.
LIVE_SQL = "{p}.status = 'open' AND {p}.hidden_at IS NULL AND {p}.valid_until >= :today"


def live(today: date):
    return and_(Post.status == "open", Post.hidden_at.is_(None), Post.valid_until >= today)


# A text search ranks the newest SEARCH_WINDOW matches by relevance (and counts up to
# that many), so a common word costs the same on a board of 100 posts or 100,000.
SEARCH_WINDOW = 500
FRESH_PLAN = text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    category: str | None = None
    area: str | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args, categories: list[str]) -> "Filters":
        kind = args.get("kind") if args.get("kind") in POST_KINDS else None
        category = args.get("category") if args.get("category") in categories else None
        area, _error = clean_area(args.get("area"))
        q = " ".join((args.get("q") or "").split())[:200] or None
        return cls(kind, category, area, q)


def board_page(
    session: Session, viewer: Member | None, filters: Filters, page: int, *, today: date, page_size: int = PAGE_SIZE
) -> tuple[list, int]:
    """Live posts matching the filters, newest (or most relevant) first: [(Post, author name)], total."""
    where = [readable(viewer), live(today)]
    if filters.kind:
        where.append(Post.kind == filters.kind)
    if filters.category:
        where.append(Post.categories.any(filters.category))
    if filters.area:
        where.append(Post.area == filters.area)
    if filters.q:
        # psycopg prepares a statement after five runs, and PostgreSQL may then reuse one
        # generic plan that cannot see how common the searched words are: for a rare word it
        # walks the whole listing index (p95 74 ms at 100,000 posts). Plan each search for its words.
        session.execute(FRESH_PLAN)
        # Dutch and English posts are indexed with their own stemmer; a search asks both.
        query = func.websearch_to_tsquery("dutch", filters.q).op("||")(func.websearch_to_tsquery("english", filters.q))
        hits = (
            select(Post.id, Post.created_at, func.ts_rank(Post.search, query).label("rank"))
            .where(*where, Post.search.op("@@")(query))
            .order_by(Post.created_at.desc())
            .limit(SEARCH_WINDOW)
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        total = select(func.count()).select_from(hits).scalar_subquery()
        found = session.execute(  # one round trip: the hits are computed once, counted and paged
            select(Post, Member.display_name, total.label("total"))
            .join(hits, hits.c.id == Post.id)
            .join(Member, Member.id == Post.author_id)
            .order_by(hits.c.rank.desc(), hits.c.created_at.desc(), Post.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).all()
        if not found and page > 1:
            return [], session.scalar(select(total))
        return [(post, name) for post, name, _ in found], (found[0][2] if found else 0)
    total = session.scalar(select(func.count()).select_from(Post).where(*where))
    rows = session.execute(
        select(Post, Member.display_name)
        .join(Member, Member.id == Post.author_id)
        .where(*where)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return rows, total


def posts_of(session: Session, author: Member) -> list[Post]:
    return list(
        session.scalars(
            select(Post).where(Post.author_id == author.id).order_by(Post.created_at.desc(), Post.id.desc()).limit(200)
        )
    )


def conversations_on(session: Session, post: Post, member: Member | None) -> list:
    """[(reaction, responder name, [(message, author name)])]: every conversation for the
    author, one's own for a responder, none for anyone else."""
    if member is None:
        return []
    query = (
        select(Reaction, Member.display_name).join(Member, Member.id == Reaction.responder_id).where(Reaction.post_id == post.id)
    )
    if post.author_id != member.id:
        query = query.where(Reaction.responder_id == member.id)
    reactions = session.execute(query.order_by(Reaction.id)).all()
    ids = [r.id for r, _ in reactions]
    messages: dict[int, list] = {i: [] for i in ids}
    if ids:
        for message, name in session.execute(
            select(ThreadMessage, Member.display_name)
            .join(Member, Member.id == ThreadMessage.author_id)
            .where(ThreadMessage.reaction_id.in_(ids))
            .order_by(ThreadMessage.id)
        ):
            messages[message.reaction_id].append((message, name))
    return [(r, name, messages[r.id]) for r, name in reactions]


def match_of(session: Session, post: Post) -> Match | None:
    return session.scalars(select(Match).where(Match.post_id == post.id)).one_or_none()
