from datetime import timedelta

import pytest
from sqlalchemy import select

from wijknet.platform.modules import get_module
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.fixtures import load_fixture
from wijknet.tenants.board.indexing import index_post
from wijknet.tenants.board.models import Post
from wijknet.tenants.board.operations import create_post
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.time import tenant_today


@pytest.fixture
def board_settings():
    return dict(get_module("board").default_settings(), posts_per_day=100)


@pytest.fixture
def board_tenant(make_tenant):
    def make(**kw):
        return make_tenant(modules=kw.pop("modules", ("board",)), **kw)

    return make


@pytest.fixture
def member_of(engine, make_member):
    """(user id, tenant member id) of a new member with `role`."""

    def make(tenant, role="member", name=None):
        user_id = make_member(tenant, role, name=name)
        with tenant_unit_of_work(engine, tenant) as session:
            return user_id, session.scalar(select(Member.id).where(Member.user_id == user_id))

    return make


@pytest.fixture
def board_jobs(database_url, engine, app):
    """Run the board's queued jobs (reading saved posts for matching) as the worker does."""
    from wijknet.platform.jobs import run_worker

    def run():
        # In a thread of its own, as the worker is a process of its own: a browser test's
        # Playwright may hold an event loop in this thread.
        import threading

        failures = []

        def work():
            try:
                run_worker(database_url, queues=["board"], until_empty=True, context={"engine": engine, "flask_app": app})
            except BaseException as error:  # handed to the test below
                failures.append(error)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(120)
        assert not thread.is_alive(), "the board jobs did not finish within two minutes"
        if failures:
            raise failures[0]

    return run


@pytest.fixture
def read_posts(engine):
    """What the matching job does after each save, for every post of `tenant` in order."""

    def read(tenant, post_ids=None):
        with tenant_unit_of_work(engine, tenant) as session:
            ids = post_ids or session.scalars(select(Post.id).order_by(Post.id)).all()
            for post_id in ids:
                index_post(session, post_id)

    return read


@pytest.fixture
def seed_fixture(engine, member_of, board_settings, read_posts):
    """Every post of a shipped fixture in `tenant`, by a few authors, read by the matching
    job as it would after each save; returns key -> post id."""

    def seed(tenant, name="posts_nl.json", read=True):
        authors = [member_of(tenant, name=f"Buur {i}")[1] for i in range(4)]
        ids = {}
        with tenant_unit_of_work(engine, tenant) as session:
            for i, item in enumerate(load_fixture(name)):
                author = session.get(Member, authors[i % len(authors)])
                post = create_post(
                    session,
                    author,
                    board_settings,
                    kind=item["kind"],
                    title=item["title"],
                    body=item["body"],
                    categories=item["categories"],
                    organisation=item.get("organisation"),
                    area=item.get("area"),
                    valid_until=tenant_today() + timedelta(days=30),
                )
                ids[item["key"]] = post.id
        if read:
            read_posts(tenant, list(ids.values()))
        return ids

    return seed
