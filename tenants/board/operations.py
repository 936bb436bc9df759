"""Board actions: one function per action, called by the pages, the API and the CLI.

They take the tenant's session and the acting member (the tenant's copy, `members`),
flush, and leave the commit to the caller's unit of work."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.operations import record
from wijknet.tenants.core.time import tenant_today

from .access import get_reaction, is_moderator
from .models import Match, Post, Reaction, Report, ThreadMessage
from .notifications import add_notice
from .schemas import BoardError, HideIn, MessageIn, PostIn, ReactionIn, ReportIn, load
from .wording import detect_language

# The posting limit counts the posts of the last POSTING_WINDOW.
POSTING_WINDOW = timedelta(days=1)


def _post_rules(settings: dict, today: date | None) -> dict:
    return {"categories": settings["categories"], "today": today or tenant_today()}


def create_post(session: Session, author: Member, settings: dict, *, today: date | None = None, **fields) -> Post:
    """A need or an offer (PostIn), within the author's daily limit; pending when the board
    asks for approval first."""
    clean = load(PostIn, fields, code="board.post_invalid", rules=_post_rules(settings, today))
    # One author's posts are counted one at a time: the author's row is the lock, so
    # parallel submits cannot all see "4 today" and all pass the limit.
    session.execute(locked(select(Member.id).where(Member.id == author.id)))
    since = datetime.now(timezone.utc) - POSTING_WINDOW
    recent = session.scalar(select(func.count()).select_from(Post).where(Post.author_id == author.id, Post.created_at > since))
    if recent >= settings["posts_per_day"]:
        raise BoardError(
            _l("You have posted %(count)d times today; try again tomorrow.", count=recent), status=429, code="board.posting_limit"
        )
    pending = settings["approval_required"]
    post = Post(
        **clean,
        language=detect_language(f"{clean['title']} {clean['body']}"),
        author_id=author.id,
        status="pending" if pending else "open",
        published_at=None if pending else datetime.now(timezone.utc),
    )
    session.add(post)
    session.flush()
    queue_indexing(session, post.id)
    record(session, "board.post.created", actor_member_id=author.id, post_id=post.id, kind=post.kind)
    return post


def _own(post: Post, member: Member) -> None:
    if post.author_id != member.id:
        raise BoardError(_l("Only the author can do that."), status=403, code="board.author_only")


def update_post(session: Session, post: Post, author: Member, settings: dict, *, today: date | None = None, **fields) -> Post:
    _own(post, author)
    if post.status not in ("pending", "open"):
        raise BoardError(
            _l("A matched or closed post cannot be changed; reopen it first."), status=409, code="board.post_not_editable"
        )
    clean = load(PostIn, fields, code="board.post_invalid", rules=_post_rules(settings, today))
    if clean["valid_until"] != post.valid_until:
        post.reminded_at = None  # a new date earns a new reminder before it
    reword = (clean["title"], clean["body"]) != (post.title, post.body)
    for key, value in clean.items():
        setattr(post, key, value)
    if reword:
        post.language = detect_language(f"{post.title} {post.body}")
    session.flush()
    if reword:
        queue_indexing(session, post.id)
    record(session, "board.post.updated", actor_member_id=author.id, post_id=post.id)
    return post


def close_post(session: Session, post: Post, author: Member) -> Post:
    _own(post, author)
    if post.status == "closed":
        raise BoardError(_l("This post is already closed."), status=409, code="board.post_closed")
    post.status = "closed"
    session.flush()
    record(session, "board.post.closed", actor_member_id=author.id, post_id=post.id)
    return post


def reopen_post(session: Session, post: Post, author: Member, *, today: date | None = None) -> Post:
    _own(post, author)
    if post.status != "closed":
        raise BoardError(_l("Only a closed post can be reopened."), status=409, code="board.post_not_closed")
    if post.valid_until < (today or tenant_today()):
        raise BoardError(_l("This post has expired: edit its date to reopen it."), status=409, code="board.post_expired")
    post.status = "open"
    session.flush()
    record(session, "board.post.reopened", actor_member_id=author.id, post_id=post.id)
    return post


def react(session: Session, post: Post, responder: Member, *, kind: str, message: str) -> Reaction:
    """'Ik kan helpen' or 'interesse', with a first message: opens a thread with the author."""
    data = load(ReactionIn, {"kind": kind, "message": message}, code="board.reaction_invalid")
    kind, message = data["kind"], data["message"]
    if post.author_id == responder.id:
        raise BoardError(_l("You cannot react to your own post."), status=409, code="board.own_post")
    if post.status != "open" or post.hidden_at is not None:
        raise BoardError(_l("This post is not open for reactions."), status=409, code="board.post_not_open")
    if session.scalar(select(Reaction.id).where(Reaction.post_id == post.id, Reaction.responder_id == responder.id)):
        raise BoardError(_l("You have already reacted; continue in your conversation."), status=409, code="board.already_reacted")
    reaction = Reaction(post_id=post.id, responder_id=responder.id, kind=kind)
    session.add(reaction)
    session.flush()
    session.add(ThreadMessage(reaction_id=reaction.id, author_id=responder.id, body=message))
    record(session, "board.reaction.created", actor_member_id=responder.id, post_id=post.id, reaction_id=reaction.id)
    add_notice(session, member_id=post.author_id, kind="reaction", post=post, actor_id=responder.id, reaction_id=reaction.id)
    return reaction


def add_message(session: Session, post: Post, reaction_id: int, member: Member, body: str) -> ThreadMessage:
    """A message in a conversation on `post`; none on a hidden post."""
    if post.hidden_at is not None:
        raise BoardError(
            _l("This post has been hidden by a moderator; its conversations are closed."), status=409, code="board.post_hidden"
        )
    reaction = get_reaction(session, post, reaction_id, member)
    text = load(MessageIn, {"message": body}, code="board.message_invalid")["message"]
    message = ThreadMessage(reaction_id=reaction.id, author_id=member.id, body=text)
    session.add(message)
    session.flush()
    for other in sorted({post.author_id, reaction.responder_id} - {member.id}):
        add_notice(session, member_id=other, kind="message", post=post, actor_id=member.id, reaction_id=reaction.id)
    return message


def mark_match(session: Session, post: Post, author: Member, reaction_id: int) -> Match:
    """The author says which reaction became the match; the post is then matched."""
    _own(post, author)
    if post.status != "open":
        raise BoardError(_l("Only an open post can be matched."), status=409, code="board.match_not_open")
    reaction = session.scalars(select(Reaction).where(Reaction.id == reaction_id, Reaction.post_id == post.id)).one_or_none()
    if reaction is None:
        raise BoardError(_l("Choose one of the reactions to this post."), status=404, code="board.reaction_not_found")
    match = Match(post_id=post.id, reaction_id=reaction.id)
    session.add(match)
    post.status = "matched"
    session.flush()
    record(session, "board.match.marked", actor_member_id=author.id, post_id=post.id, reaction_id=reaction.id)
    add_notice(
        session, member_id=reaction.responder_id, kind="match_marked", post=post, actor_id=author.id, reaction_id=reaction.id
    )
    return match


def confirm_match(session: Session, post: Post, responder: Member) -> Match:
    """The other side agrees: the match is confirmed by both."""
    row = session.execute(
        locked(select(Match, Reaction).join(Reaction, Reaction.id == Match.reaction_id).where(Match.post_id == post.id), of=Match)
    ).one_or_none()
    if row is None or row[1].responder_id != responder.id:
        raise BoardError(_l("There is no match for you to confirm here."), status=404, code="board.no_match_to_confirm")
    match = row[0]
    if match.confirmed_at is None:
        match.confirmed_at = datetime.now(timezone.utc)
        session.flush()
        record(session, "board.match.confirmed", actor_member_id=responder.id, post_id=post.id)
        add_notice(
            session,
            member_id=post.author_id,
            kind="match_confirmed",
            post=post,
            actor_id=responder.id,
            reaction_id=match.reaction_id,
        )
    return match


def report_post(session: Session, post: Post, reporter: Member, reason: str) -> Report:
    reason = load(ReportIn, {"reason": reason}, code="board.report_reason_invalid")["reason"]
    if session.scalar(select(Report.id).where(Report.post_id == post.id, Report.reporter_id == reporter.id)):
        raise BoardError(_l("You have already reported this post. Thank you."), status=409, code="board.already_reported")
    report = Report(post_id=post.id, reporter_id=reporter.id, reason=reason)
    session.add(report)
    session.flush()
    record(session, "board.post.reported", actor_member_id=reporter.id, post_id=post.id)
    return report


def _moderate(moderator: Member) -> None:
    if not is_moderator(moderator):
        raise BoardError(_l("Only a moderator can do that."), status=404, code="board.moderator_only")


def hide_post(session: Session, post: Post, moderator: Member, reason: str) -> Post:
    _moderate(moderator)
    reason = load(HideIn, {"reason": reason}, code="board.hide_reason_invalid")["reason"]
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
        raise BoardError(_l("This post does not wait for approval."), status=409, code="board.post_not_pending")
    post.status, post.published_at = "open", datetime.now(timezone.utc)
    session.flush()
    record(session, "board.post.approved", actor_member_id=moderator.id, post_id=post.id)
    return post


def _resolve_reports(session: Session, post: Post) -> None:
    now = datetime.now(timezone.utc)
    for report in session.scalars(select(Report).where(Report.post_id == post.id, Report.resolved_at.is_(None))):
        report.resolved_at = now


def queue_indexing(session: Session, post_id: int) -> None:
    """The post is read for matching in the background once this transaction commits."""
    from .tasks import queue_indexing as defer_reading

    defer_reading(session, post_id)
