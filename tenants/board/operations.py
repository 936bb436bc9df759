"""Board actions: one function per action, called by the pages, the API and the CLI.

They take the tenant's session and the acting member (the tenant's copy, `members`),
flush, and leave the commit to the caller's unit of work."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.identity.access import ROLE_RANK
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.operations import record

from .models import Match, Post, Reaction, Report, ThreadMessage
from .rules import BoardError, check_message, check_post, check_reaction_kind

# The posting limit counts the posts of the last POSTING_WINDOW.
POSTING_WINDOW = timedelta(days=1)


def is_moderator(member: Member | None) -> bool:
    return member is not None and ROLE_RANK.get(member.role, 0) >= ROLE_RANK["moderator"]


def readable(viewer: Member | None):
    """SQL condition: the posts `viewer` may see (moderators see hidden and pending ones)."""
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
        raise BoardError(_l("This post does not exist (any more)."), status=404)
    return post


def create_post(session: Session, author: Member, settings: dict, *, today: date | None = None, **fields) -> Post:
    today = today or date.today()
    clean = check_post(**fields, allowed_categories=settings["categories"], today=today)
    # One author's posts are counted one at a time: the author's row is the lock, so
    # parallel submits cannot all see "4 today" and all pass the limit.
    session.execute(locked(select(Member.id).where(Member.id == author.id)))
    since = datetime.now(timezone.utc) - POSTING_WINDOW
    recent = session.scalar(select(func.count()).select_from(Post).where(Post.author_id == author.id, Post.created_at > since))
    if recent >= settings["posts_per_day"]:
        raise BoardError(_l("You have posted %(count)d times today; try again tomorrow.", count=recent), status=429)
    pending = settings["approval_required"]
    post = Post(**clean, author_id=author.id, status="pending" if pending else "open",
                published_at=None if pending else datetime.now(timezone.utc))
    session.add(post)
    session.flush()
    record(session, "board.post.created", actor_member_id=author.id, post_id=post.id, kind=post.kind)
    return post


def _own(post: Post, member: Member) -> None:
    if post.author_id != member.id:
        raise BoardError(_l("Only the author can do that."), status=403)


def update_post(session: Session, post: Post, author: Member, settings: dict, *, today: date | None = None, **fields) -> Post:
    _own(post, author)
    if post.status not in ("pending", "open"):
        raise BoardError(_l("A matched or closed post cannot be changed; reopen it first."), status=409)
    clean = check_post(**fields, allowed_categories=settings["categories"], today=today or date.today())
    if clean["valid_until"] != post.valid_until:
        post.reminded_at = None  # a new date earns a new reminder before it
    for key, value in clean.items():
        setattr(post, key, value)
    session.flush()
    record(session, "board.post.updated", actor_member_id=author.id, post_id=post.id)
    return post


def close_post(session: Session, post: Post, author: Member) -> Post:
    _own(post, author)
    if post.status == "closed":
        raise BoardError(_l("This post is already closed."), status=409)
    post.status = "closed"
    session.flush()
    record(session, "board.post.closed", actor_member_id=author.id, post_id=post.id)
    return post


def reopen_post(session: Session, post: Post, author: Member, *, today: date | None = None) -> Post:
    _own(post, author)
    if post.status != "closed":
        raise BoardError(_l("Only a closed post can be reopened."), status=409)
    if post.valid_until < (today or date.today()):
        raise BoardError(_l("This post has expired: edit its date to reopen it."), status=409)
    post.status = "open"
    session.flush()
    record(session, "board.post.reopened", actor_member_id=author.id, post_id=post.id)
    return post


def react(session: Session, post: Post, responder: Member, *, kind: str, message: str) -> Reaction:
    """'Ik kan helpen' or 'interesse', with a first message: opens a thread with the author."""
    kind, message = check_reaction_kind(kind), check_message(message)
    if post.author_id == responder.id:
        raise BoardError(_l("You cannot react to your own post."), status=409)
    if post.status != "open" or post.hidden_at is not None:
        raise BoardError(_l("This post is not open for reactions."), status=409)
    if session.scalar(select(Reaction.id).where(Reaction.post_id == post.id, Reaction.responder_id == responder.id)):
        raise BoardError(_l("You have already reacted; continue in your conversation."), status=409)
    reaction = Reaction(post_id=post.id, responder_id=responder.id, kind=kind)
    session.add(reaction)
    session.flush()
    session.add(ThreadMessage(reaction_id=reaction.id, author_id=responder.id, body=message))
    record(session, "board.reaction.created", actor_member_id=responder.id, post_id=post.id, reaction_id=reaction.id)
    return reaction


def get_reaction(session: Session, post: Post, reaction_id: int, member: Member) -> Reaction:
    """A reaction on `post` (already loaded through `get_post`, so readable by `member`)
    that `member` takes part in, as the post's author or as the responder."""
    query = select(Reaction).where(Reaction.id == reaction_id, Reaction.post_id == post.id)
    if post.author_id != member.id:
        query = query.where(Reaction.responder_id == member.id)
    reaction = session.scalars(query).one_or_none()
    if reaction is None:
        raise BoardError(_l("This conversation does not exist."), status=404)
    return reaction


def add_message(session: Session, post: Post, reaction_id: int, member: Member, body: str) -> ThreadMessage:
    """A message in a conversation on `post`; none on a hidden post."""
    if post.hidden_at is not None:
        raise BoardError(_l("This post has been hidden by a moderator; its conversations are closed."), status=409)
    reaction = get_reaction(session, post, reaction_id, member)
    message = ThreadMessage(reaction_id=reaction.id, author_id=member.id, body=check_message(body))
    session.add(message)
    session.flush()
    return message


def mark_match(session: Session, post: Post, author: Member, reaction_id: int) -> Match:
    """The author says which reaction became the match; the post is then matched."""
    _own(post, author)
    if post.status != "open":
        raise BoardError(_l("Only an open post can be matched."), status=409)
    reaction = session.scalars(select(Reaction).where(Reaction.id == reaction_id, Reaction.post_id == post.id)).one_or_none()
    if reaction is None:
        raise BoardError(_l("Choose one of the reactions to this post."), status=404)
    match = Match(post_id=post.id, reaction_id=reaction.id)
    session.add(match)
    post.status = "matched"
    session.flush()
    record(session, "board.match.marked", actor_member_id=author.id, post_id=post.id, reaction_id=reaction.id)
    return match


def confirm_match(session: Session, post: Post, responder: Member) -> Match:
    """The other side agrees: the match is confirmed by both."""
    row = session.execute(locked(
        select(Match, Reaction).join(Reaction, Reaction.id == Match.reaction_id).where(Match.post_id == post.id), of=Match
    )).one_or_none()
    if row is None or row[1].responder_id != responder.id:
        raise BoardError(_l("There is no match for you to confirm here."), status=404)
    match = row[0]
    if match.confirmed_at is None:
        match.confirmed_at = datetime.now(timezone.utc)
        session.flush()
        record(session, "board.match.confirmed", actor_member_id=responder.id, post_id=post.id)
    return match


def report_post(session: Session, post: Post, reporter: Member, reason: str) -> Report:
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= 500:
        raise BoardError.on_field("reason", _l("Say in 3 to 500 characters what is wrong."))
    if session.scalar(select(Report.id).where(Report.post_id == post.id, Report.reporter_id == reporter.id)):
        raise BoardError(_l("You have already reported this post. Thank you."), status=409)
    report = Report(post_id=post.id, reporter_id=reporter.id, reason=reason)
    session.add(report)
    session.flush()
    record(session, "board.post.reported", actor_member_id=reporter.id, post_id=post.id)
    return report


def _moderate(moderator: Member) -> None:
    if not is_moderator(moderator):
        raise BoardError(_l("Only a moderator can do that."), status=404)


def hide_post(session: Session, post: Post, moderator: Member, reason: str) -> Post:
    _moderate(moderator)
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= 500:
        raise BoardError.on_field("reason", _l("Give a reason of 3 to 500 characters; the author sees it."))
    post.hidden_at, post.hidden_reason, post.hidden_by = datetime.now(timezone.utc), reason, moderator.id
    _resolve_reports(session, post)
    session.flush()
    record(session, "board.post.hidden", actor_member_id=moderator.id, post_id=post.id, reason=reason)
    return post


def restore_post(session: Session, post: Post, moderator: Member) -> Post:
    _moderate(moderator)
    post.hidden_at, post.hidden_reason, post.hidden_by = None, None, None
    _resolve_reports(session, post)
    session.flush()
    record(session, "board.post.restored", actor_member_id=moderator.id, post_id=post.id)
    return post


def approve_post(session: Session, post: Post, moderator: Member) -> Post:
    _moderate(moderator)
    if post.status != "pending":
        raise BoardError(_l("This post does not wait for approval."), status=409)
    post.status, post.published_at = "open", datetime.now(timezone.utc)
    session.flush()
    record(session, "board.post.approved", actor_member_id=moderator.id, post_id=post.id)
    return post


def _resolve_reports(session: Session, post: Post) -> None:
    now = datetime.now(timezone.utc)
    for report in session.scalars(select(Report).where(Report.post_id == post.id, Report.resolved_at.is_(None))):
        report.resolved_at = now
