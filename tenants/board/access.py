"""Who may see and do what on the board: its settings, the readers' policy (members only, or
anyone when the board is open), moderators, and the fetch-and-check helpers that load a
post or a conversation only for someone who may see it (the same 404 otherwise)."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.modules import module_settings
from wijknet.tenants.core.access import Policy, current_member, has_rank
from wijknet.tenants.core.models import Member

from .models import Post, Reaction
from .schemas import BoardError


def board_settings() -> dict:
    return module_settings("board")


def viewer() -> Member | None:
    """The signed-in person's member row here, or None (anonymous, or not a member)."""
    return current_member()


# The board's readers: members, or anyone when the board is open (visibility setting).
READERS = Policy("board-readers", lambda: board_settings()["visibility"] == "public" or current_member() is not None)


def is_moderator(member: Member | None) -> bool:
    return has_rank(member, "moderator")


def readable(viewer: Member | None):
    """SQL condition: the posts `viewer` may see. Moderators see hidden and pending ones;
    authors see their own pending posts, not their hidden ones (the reason is on their list)."""
    if is_moderator(viewer):
        return True
    shown = and_(Post.hidden_at.is_(None), Post.status != "pending")
    if viewer is None:
        return shown
    return or_(shown, and_(Post.author_id == viewer.id, Post.hidden_at.is_(None)))


def get_post(session: Session, post_id: int, viewer: Member | None, *, for_update: bool = False) -> Post:
    query = select(Post).where(Post.id == post_id, readable(viewer))
    post = session.scalars(locked(query) if for_update else query).one_or_none()
    if post is None:
        raise BoardError(_l("This post does not exist (any more)."), status=404, code="board.post_not_found")
    return post


def get_reaction(session: Session, post: Post, reaction_id: int, member: Member) -> Reaction:
    """A reaction on `post` (already loaded through `get_post`, so readable by `member`)
    that `member` takes part in, as the post's author or as the responder."""
    query = select(Reaction).where(Reaction.id == reaction_id, Reaction.post_id == post.id)
    if post.author_id != member.id:
        query = query.where(Reaction.responder_id == member.id)
    reaction = session.scalars(query).one_or_none()
    if reaction is None:
        raise BoardError(_l("This conversation does not exist."), status=404, code="board.conversation_not_found")
    return reaction
