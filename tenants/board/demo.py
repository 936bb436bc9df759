"""The board's part of the demo network: the Dutch fixture of 61 posts in a lab with the
board on, placed over the past four weeks, and a first conversation (post 1 gets a reaction)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from wijknet.platform.tenancy.uow import TenantRef, tenant_unit_of_work
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.time import tenant_today

from . import module
from .fixtures import load_fixture
from .indexing import index_post
from .models import Post
from .operations import create_post, react


def seed(engine: Engine, tenant: TenantRef) -> Iterator[str]:
    settings = dict(module.default_settings(), posts_per_day=1000)
    with tenant_unit_of_work(engine, tenant) as session:
        if session.scalar(select(Post.id).limit(1)) is not None:
            yield f"board {tenant.slug}: already there"
            return
        members = list(session.scalars(select(Member).order_by(Member.id)))
        if not members:
            yield f"board {tenant.slug}: no members to post"
            return
        now, today = datetime.now(timezone.utc), tenant_today(tenant)
        fixture = load_fixture()
        for i, item in enumerate(fixture):
            post = create_post(
                session,
                members[i % len(members)],
                settings,
                kind=item["kind"],
                title=item["title"],
                body=item["body"],
                categories=item["categories"],
                organisation=item.get("organisation"),
                area=item.get("area"),
                valid_until=today + timedelta(days=60),
            )
            # Placed over the past four weeks, as on a board in use (and not counted
            # against today's posting limit of the demo people).
            post.created_at = post.updated_at = post.published_at = now - timedelta(days=1 + i % 28, hours=i % 24)
        session.flush()
        # Read for matching now, as the job does after each save, so the demo suggests at once.
        for post_id in session.scalars(select(Post.id).order_by(Post.id)).all():
            index_post(session, post_id)
        first = session.get(Post, session.scalar(select(func.min(Post.id))))
        responder = next((m for m in members if m.id != first.author_id), None)
        if responder is not None:
            react(session, first, responder, kind="help", message="Ik kan zaterdag langskomen met mijn heggenschaar.")
        yield f"board {tenant.slug}: {len(fixture)} posts"
