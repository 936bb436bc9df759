from datetime import date, timedelta

import pytest
from sqlalchemy import select

from wijknet.platform.modules import get_module
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.fixtures import load_fixture
from wijknet.tenants.board.operations import create_post
from wijknet.tenants.core.models import Member


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
def seed_fixture(engine, member_of, board_settings):
    """Every post of the shipped fixture in `tenant`, by a few authors; returns key -> post id."""

    def seed(tenant):
        authors = [member_of(tenant, name=f"Buur {i}")[1] for i in range(4)]
        ids = {}
        with tenant_unit_of_work(engine, tenant) as session:
            for i, item in enumerate(load_fixture()):
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
                    valid_until=date.today() + timedelta(days=30),
                )
                ids[item["key"]] = post.id
        return ids

    return seed
