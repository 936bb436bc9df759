"""Reading the board: the filtered, paginated list and a member's own posts (no N+1:
each list is one count and one query that brings the author's name along)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.tenants.core.models import Member

from .models import POST_KINDS, Post
from .operations import readable
from .rules import clean_area

PAGE_SIZE = 20


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


def board_page(session: Session, viewer: Member | None, filters: Filters, page: int) -> tuple[list, int]:
    """Open posts matching the filters, newest (or most relevant) first: [(Post, author name)], total."""
    where = [readable(viewer), Post.status == "open", Post.valid_until >= func.current_date()]
    if filters.kind:
        where.append(Post.kind == filters.kind)
    if filters.category:
        where.append(Post.categories.any(filters.category))
    if filters.area:
        where.append(Post.area == filters.area)
    order = [Post.created_at.desc(), Post.id.desc()]
    if filters.q:
        query = func.websearch_to_tsquery("dutch", filters.q)
        where.append(Post.search.op("@@")(query))
        order.insert(0, func.ts_rank(Post.search, query).desc())
    total = session.scalar(select(func.count()).select_from(Post).where(*where))
    rows = session.execute(
        select(Post, Member.display_name).join(Member, Member.id == Post.author_id)
        .where(*where).order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return rows, total


def posts_of(session: Session, author: Member) -> list[Post]:
    return list(session.scalars(
        select(Post).where(Post.author_id == author.id)
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(200)
    ))
