"""Board email: a reminder before a post expires, and each member's digest of new posts in
the categories they follow. Plain functions on a tenant session.

`notify_tenant` is what the worker's hourly job (tasks.py) and `wijknet board notify` run.
It must be called inside a Flask request context (for templates, language and links) and
queues its emails in the tenant's transaction, together with the marks that say "sent":
a rollback loses both, a commit keeps both. Rows are claimed with SKIP LOCKED, so two runs
at once never send the same email twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import render_template, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.i18n import LANGUAGES
from wijknet.platform.mail.queue import queue_email
from wijknet.platform.tenancy.uow import TenantRef
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.operations import record
from wijknet.tenants.core.time import tenant_today

from .models import DIGEST_FREQUENCIES, NotificationPreference, Post
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
    return found or NotificationPreference(member_id=member.id, digest="off", categories=[], reminders=True, language="nl")


def change_preferences(
    session: Session,
    member: Member,
    allowed_categories: list[str],
    *,
    digest: str,
    categories: list[str],
    reminders: bool,
    language: str,
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
    prefs.reminders, prefs.language = bool(reminders), language
    session.flush()
    record(
        session,
        "board.notifications.changed",
        actor_member_id=member.id,
        digest=digest,
        categories=prefs.categories,
        reminders=prefs.reminders,
        language=language,
    )
    return prefs


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
            body = render_template(
                "board/mail/expiry_reminder.txt",
                name=author.display_name,
                tenant=tenant.name,
                post=post,
                date=when,
                link=url_for("board.show", slug=tenant.slug, post_id=post.id, _external=True),
                edit_link=url_for("board.edit_post", slug=tenant.slug, post_id=post.id, _external=True),
                preferences_link=url_for("board.notifications", slug=tenant.slug, _external=True),
            )
            queue_email(
                session, to=to, subject=_("Your post ends on %(date)s: %(title)s", date=when, title=post.title), body=body
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
                )
                subject = (
                    _("%(count)d new posts on the board of %(tenant)s", count=total, tenant=tenant.name)
                    if total > 1
                    else _("A new post on the board of %(tenant)s", tenant=tenant.name)
                )
                queue_email(session, to=to, subject=subject, body=body)
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
