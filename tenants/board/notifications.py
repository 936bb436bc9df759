"""Board email: a reminder before a post expires, each member's digest of new posts in
the categories they follow, and notices (a reaction to your post, a message in your
conversation, a match marked or confirmed) in the member's in-app list and by email.
Every email carries a one-click unsubscribe link (RFC 8058) signed for one member, one lab
and one kind of email, which works without signing in. Plain functions on a tenant session.

`notify_tenant` is what the worker's hourly job (tasks.py) and `wijknet board notify` run.
It must be called inside a Flask request context (for templates, language and links) and
queues its emails in the tenant's transaction, together with the marks that say "sent":
a rollback loses both, a commit keeps both. Rows are claimed with SKIP LOCKED, so two runs
at once never send the same email twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app, render_template, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.i18n import LANGUAGES
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.mail.queue import queue_email
from wijknet.platform.tenancy.uow import TenantRef
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.operations import record
from wijknet.tenants.core.time import tenant_today

from .models import DIGEST_FREQUENCIES, Notice, NotificationPreference, Post, ThreadMessage
from .queries import live
from .schemas import BoardError

DIGEST_PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
# The job runs every hour and may start a little earlier than the hour before; without
# this slack a daily digest would slip by an hour a day.
DIGEST_SLACK = timedelta(minutes=30)
DIGEST_MAX_POSTS = 20
# No reminder for a post placed less than a day ago (it was just given its date).
REMINDER_MIN_AGE = timedelta(days=1)


@dataclass(frozen=True)
class NotifyResult:
    reminders: int = 0
    digests: int = 0


# --- preferences --------------------------------------------------------------------
def preferences_of(session: Session, member: Member) -> NotificationPreference:
    """The member's preferences; the defaults (no digest, reminders on, Dutch) if never set."""
    found = session.get(NotificationPreference, member.id)
    return found or NotificationPreference(
        member_id=member.id, digest="off", categories=[], reminders=True, activity=True, language="nl"
    )


def change_preferences(
    session: Session,
    member: Member,
    allowed_categories: list[str],
    *,
    digest: str,
    categories: list[str],
    reminders: bool,
    language: str,
    activity: bool = True,
) -> NotificationPreference:
    errors = {}
    if digest not in DIGEST_FREQUENCIES:
        errors["digest"] = [_l("Choose never, daily or weekly.")]
    unknown = [c for c in categories if c not in allowed_categories]
    if unknown:
        errors["categories"] = [_l("Unknown category: %(names)s.", names=", ".join(unknown))]
    if language not in LANGUAGES:
        errors["language"] = [_l("Choose Dutch or English.")]
    if errors:
        raise BoardError(_l("Please correct the marked fields."), errors=errors, code="board.preferences_invalid")
    prefs = session.scalars(
        locked(select(NotificationPreference).where(NotificationPreference.member_id == member.id))
    ).one_or_none()
    if prefs is None:
        prefs = NotificationPreference(member_id=member.id, digest="off")
        session.add(prefs)
    if prefs.digest == "off" and digest != "off":
        prefs.digest_since = datetime.now(timezone.utc)  # the first digest holds only what is new from now
    prefs.digest, prefs.categories = digest, list(dict.fromkeys(categories))
    prefs.reminders, prefs.activity, prefs.language = bool(reminders), bool(activity), language
    session.flush()
    record(
        session,
        "board.notifications.changed",
        actor_member_id=member.id,
        digest=digest,
        categories=prefs.categories,
        reminders=prefs.reminders,
        activity=prefs.activity,
        language=language,
    )
    return prefs


# --- one-click unsubscribe ----------------------------------------------------------
# What an unsubscribe link stops: one kind of email, nothing else.
UNSUBSCRIBE_KINDS = ("activity", "digest", "reminders")
_UNSUBSCRIBE_SALT = "wijknet.board.unsubscribe"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(tenant_id: int, member_id: int, what: str) -> str:
    """A link's key: signed with the app's secret for this lab, this member and this kind of
    email. It does not expire (an old email's link must still work) and grants nothing else."""
    assert what in UNSUBSCRIBE_KINDS
    return _signer().dumps([tenant_id, member_id, what])


def read_unsubscribe_token(token: str, tenant_id: int) -> tuple[int, str] | None:
    """(member id, kind of email) when `token` was signed by us for this lab; else None."""
    try:
        data = _signer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 3 and data[0] == tenant_id and data[2] in UNSUBSCRIBE_KINDS):
        return None
    if not isinstance(data[1], int) or isinstance(data[1], bool):
        return None
    return data[1], data[2]


def unsubscribe_headers(tenant: TenantRef, member_id: int, what: str) -> tuple[str, dict[str, str]]:
    """The link for the email's body and the RFC 8058 headers that let a mail program
    unsubscribe with one click (a POST to the same address)."""
    link = url_for("board.unsubscribe_page", slug=tenant.slug, key=unsubscribe_token(tenant.id, member_id, what), _external=True)
    return link, {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe(session: Session, member_id: int, what: str) -> NotificationPreference | None:
    """Stop one kind of email for a member (the link's POST). None when the member is gone."""
    member = session.get(Member, member_id)
    if member is None or what not in UNSUBSCRIBE_KINDS:
        return None
    prefs = session.scalars(
        locked(select(NotificationPreference).where(NotificationPreference.member_id == member_id))
    ).one_or_none()
    if prefs is None:
        prefs = NotificationPreference(member_id=member_id, digest="off")
        session.add(prefs)
    if what == "digest":
        prefs.digest = "off"
    else:
        setattr(prefs, what, False)
    session.flush()
    record(session, "board.notifications.unsubscribed", actor_member_id=member_id, email=what)
    return prefs


# --- notices: what happened for a member, in the app and by email --------------------
def add_notice(session: Session, *, member_id: int, kind: str, post: Post, actor_id: int, reaction_id: int | None = None):
    """Tell `member_id` (never the actor themselves) in their list, and by email through the
    board's job once this transaction commits (the job reads their address and preferences)."""
    if member_id == actor_id:
        return None
    notice = Notice(member_id=member_id, kind=kind, post_id=post.id, reaction_id=reaction_id, actor_id=actor_id)
    session.add(notice)
    session.flush()
    from .tasks import queue_notice_email  # tasks imports this module

    queue_notice_email(session, notice.id)
    return notice


def notice_text(kind: str, actor: str, title: str) -> str:
    """One notice in a sentence, in the current language."""
    texts = {
        "reaction": _("%(actor)s reacted to your post “%(title)s”.", actor=actor, title=title),
        "message": _("%(actor)s wrote in your conversation about “%(title)s”.", actor=actor, title=title),
        "match_marked": _("%(actor)s marked your reaction to “%(title)s” as the match.", actor=actor, title=title),
        "match_confirmed": _("%(actor)s confirmed the match on your post “%(title)s”.", actor=actor, title=title),
    }
    return texts[kind]


def notices_of(session: Session, member: Member, *, limit: int, offset: int = 0) -> tuple[list[tuple], int, int]:
    """(notice, post title, actor's name) newest first, the total and how many are unread."""
    from sqlalchemy.orm import aliased

    actor = aliased(Member)
    rows = session.execute(
        select(Notice, Post.title, actor.display_name, func.count().over())
        .join(Post, Post.id == Notice.post_id)
        .join(actor, actor.id == Notice.actor_id)
        .where(Notice.member_id == member.id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    unread = unread_notices(session, member)
    return [(n, title, name) for n, title, name, _total in rows], (rows[0][3] if rows else 0), unread


def unread_notices(session: Session, member: Member) -> int:
    return session.scalar(select(func.count()).where(Notice.member_id == member.id, Notice.read_at.is_(None))) or 0


def mark_notices_read(session: Session, member: Member) -> int:
    """Everything in the member's list read; how many were not."""
    from sqlalchemy import update

    result = session.execute(
        update(Notice).where(Notice.member_id == member.id, Notice.read_at.is_(None)).values(read_at=func.now())
    )
    return result.rowcount


def email_notice(session: Session, tenant: TenantRef, notice_id: int, addresses: dict[int, str]) -> bool:
    """Queue the email for one notice, once, if the member wants activity email. Called by
    the board's job in a request context (templates, language, links)."""
    row = session.execute(
        locked(
            select(Notice, Member, Post)
            .join(Member, Member.id == Notice.member_id)
            .join(Post, Post.id == Notice.post_id)
            .where(Notice.id == notice_id),
            of=Notice,
            skip_locked=True,
        )
    ).one_or_none()
    if row is None or row[0].emailed_at is not None:
        return False
    notice, member, post = row
    prefs = preferences_of(session, member)
    to = addresses.get(member.user_id)
    if not prefs.activity or not to:
        return False
    actor = session.get(Member, notice.actor_id)
    message = None
    if notice.kind in ("reaction", "message") and notice.reaction_id:
        message = session.scalar(
            select(ThreadMessage.body)
            .where(ThreadMessage.reaction_id == notice.reaction_id, ThreadMessage.author_id == notice.actor_id)
            .order_by(ThreadMessage.id.desc())
            .limit(1)
        )
    with force_locale(prefs.language):
        unsubscribe_link, headers = unsubscribe_headers(tenant, member.id, "activity")
        sentence = notice_text(notice.kind, actor.display_name, post.title)
        body = render_template(
            "board/mail/notice.txt",
            name=member.display_name,
            sentence=sentence,
            message=message,
            post_link=url_for("board.show", slug=tenant.slug, post_id=post.id, _external=True),
            preferences_link=url_for("board.notifications", slug=tenant.slug, _external=True),
            unsubscribe_link=unsubscribe_link,
        )
        subject = f"{tenant.name}: {sentence}"
        queue_email(session, to=to, subject=subject[:200], body=body, headers=headers)
    notice.emailed_at = func.now()
    session.flush()
    return True


# --- sending ------------------------------------------------------------------------
def notify_tenant(
    session: Session, tenant: TenantRef, addresses: dict[int, str], reminder_days: int, *, now: datetime | None = None
) -> NotifyResult:
    """Queue the reminders and digests that are due in this tenant.

    `addresses` maps platform user ids to email addresses, for the members of this tenant
    (the tenant role cannot read the platform's users; the caller looks them up)."""
    now = now or datetime.now(timezone.utc)
    return NotifyResult(
        reminders=send_expiry_reminders(session, tenant, addresses, reminder_days, now),
        digests=send_digests(session, tenant, addresses, now),
    )


def send_expiry_reminders(
    session: Session, tenant: TenantRef, addresses: dict[int, str], reminder_days: int, now: datetime
) -> int:
    """One reminder per open post whose last day is within `reminder_days` (board setting)."""
    today = tenant_today(tenant, now=now)
    wants = func.coalesce(NotificationPreference.reminders, True)
    rows = session.execute(
        locked(
            select(Post, Member, NotificationPreference.language)
            .join(Member, Member.id == Post.author_id)
            .outerjoin(NotificationPreference, NotificationPreference.member_id == Post.author_id)
            .where(
                live(today),
                Post.reminded_at.is_(None),
                Post.valid_until <= today + timedelta(days=reminder_days),
                Post.created_at <= now - REMINDER_MIN_AGE,
                wants,
            )
            .order_by(Post.id),
            of=Post,
            skip_locked=True,
        )
    ).all()
    sent = 0
    for post, author, language in rows:
        post.reminded_at = now  # also when the author has no address any more: not tried again
        to = addresses.get(author.user_id)
        if not to:
            continue
        with force_locale(language or "nl"):
            when = format_date(post.valid_until, "d MMMM")
            unsubscribe_link, headers = unsubscribe_headers(tenant, author.id, "reminders")
            body = render_template(
                "board/mail/expiry_reminder.txt",
                name=author.display_name,
                tenant=tenant.name,
                post=post,
                date=when,
                link=url_for("board.show", slug=tenant.slug, post_id=post.id, _external=True),
                edit_link=url_for("board.edit_post", slug=tenant.slug, post_id=post.id, _external=True),
                preferences_link=url_for("board.notifications", slug=tenant.slug, _external=True),
                unsubscribe_link=unsubscribe_link,
            )
            queue_email(
                session,
                to=to,
                subject=_("Your post ends on %(date)s: %(title)s", date=when, title=post.title),
                body=body,
                headers=headers,
            )
        sent += 1
    session.flush()
    return sent


def send_digests(session: Session, tenant: TenantRef, addresses: dict[int, str], now: datetime) -> int:
    """For every member whose daily or weekly digest is due: the posts published since the
    last one in the categories they follow (all categories when they chose none)."""
    sent = 0
    for frequency, period in DIGEST_PERIODS.items():
        due = session.execute(
            locked(
                select(NotificationPreference, Member)
                .join(Member, Member.id == NotificationPreference.member_id)
                .where(
                    NotificationPreference.digest == frequency, NotificationPreference.digest_since <= now - period + DIGEST_SLACK
                )
                .order_by(NotificationPreference.member_id),
                of=NotificationPreference,
                skip_locked=True,
            )
        ).all()
        for prefs, member in due:
            posts, total = new_posts_for(session, prefs, member, now)
            prefs.digest_since = now
            to = addresses.get(member.user_id)
            if not posts or not to:
                continue
            with force_locale(prefs.language):
                unsubscribe_link, headers = unsubscribe_headers(tenant, member.id, "digest")
                body = render_template(
                    "board/mail/digest.txt",
                    name=member.display_name,
                    tenant=tenant.name,
                    posts=posts,
                    more=total - len(posts),
                    frequency=frequency,
                    link_for=lambda post: url_for("board.show", slug=tenant.slug, post_id=post.id, _external=True),
                    board_link=url_for("board.index", slug=tenant.slug, _external=True),
                    preferences_link=url_for("board.notifications", slug=tenant.slug, _external=True),
                    unsubscribe_link=unsubscribe_link,
                )
                subject = (
                    _("%(count)d new posts on the board of %(tenant)s", count=total, tenant=tenant.name)
                    if total > 1
                    else _("A new post on the board of %(tenant)s", tenant=tenant.name)
                )
                queue_email(session, to=to, subject=subject, body=body, headers=headers)
            sent += 1
    session.flush()
    return sent


def new_posts_for(session: Session, prefs: NotificationPreference, member: Member, now: datetime) -> tuple[list[Post], int]:
    """The newest open posts published in (digest_since, now] that the member follows, and how many there are."""
    conditions = [
        live(tenant_today(now=now)),
        Post.published_at > prefs.digest_since,
        Post.published_at <= now,
        Post.author_id != member.id,
    ]
    if prefs.categories:
        conditions.append(Post.categories.overlap(prefs.categories))
    rows = session.execute(
        select(Post, func.count().over())
        .where(*conditions)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(DIGEST_MAX_POSTS)
    ).all()
    return [post for post, _total in rows], (rows[0][1] if rows else 0)
