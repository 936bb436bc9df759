"""The access policies: who may open a view of a living lab (tenants/core/access.py), and
the platform lookups under them (identity/access.py). Found unguarded by `make mutate`."""

import pytest
from flask import g

from wijknet.platform.identity.access import membership_of
from wijknet.platform.identity.models import User
from wijknet.platform.tenancy.routing import platform_db
from wijknet.tenants.core.access import MEMBERS, PUBLIC, current_member, role

pytestmark = pytest.mark.tenancy

# role of the person -> (members, moderators, admins): may they pass?
EXPECTED = {
    None: (False, False, False),
    "member": (True, False, False),
    "moderator": (True, True, False),
    "admin": (True, True, True),
}


@pytest.mark.parametrize("person", list(EXPECTED))
def test_each_role_passes_exactly_its_policies(app, make_tenant, make_member, person):
    tenant = make_tenant()
    other = make_tenant()
    user_id = make_member(tenant, person) if person else make_member(other, "admin")  # None: an admin elsewhere
    with app.test_request_context(f"/t/{tenant.slug}/"):
        g.tenant = app.extensions["wijknet"].directory.by_slug(tenant.slug)
        g.user = platform_db().get(User, user_id)
        passed = (MEMBERS.allows(), role("moderator").allows(), role("admin").allows())
        assert passed == EXPECTED[person]
        assert PUBLIC.allows()
        assert (current_member() is not None) == (person is not None)


def test_no_tenant_or_no_user_means_no_membership_and_no_query(engine, make_tenant, make_member, count_queries):
    from sqlalchemy.orm import Session

    tenant = make_tenant()
    user_id = make_member(tenant)
    with Session(engine) as session:
        count_queries.statements.clear()
        assert membership_of(session, None, user_id) is None
        assert membership_of(session, tenant.id, None) is None
        assert count_queries.statements == []  # fail closed before asking the database
        assert membership_of(session, tenant.id, user_id).role == "member"


def test_an_unknown_role_is_refused_when_a_policy_is_made():
    with pytest.raises(ValueError):
        role("owner")


def test_each_view_and_method_gets_the_policy_it_declares(app):
    """Function views and the methods of class views (the API), HEAD as GET, undeclared as
    members only."""
    from dataclasses import FrozenInstanceError

    from wijknet.tenants.board.access import READERS
    from wijknet.tenants.core.access import policy_of

    views = app.view_functions
    assert policy_of(views["tenant_core.home"], "GET") is PUBLIC
    assert policy_of(views["tenant_core.home"], "HEAD") is PUBLIC
    assert policy_of(views["tenant_core.members"], "GET") is MEMBERS
    assets = views["assets_api.Assets"]
    assert policy_of(assets, "POST").name == "role:admin"
    assert policy_of(assets, "GET") is MEMBERS and policy_of(assets, "HEAD") is MEMBERS
    posts = views["board_api.Posts"]
    assert policy_of(posts, "GET") is READERS and policy_of(posts, "HEAD") is READERS
    with pytest.raises(FrozenInstanceError):  # shared by every view: nobody may loosen one in passing
        MEMBERS.allows = lambda: True


def test_a_stranger_gets_the_public_home_and_a_401_from_the_api(client, make_tenant):
    tenant = make_tenant()
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    assert client.get(f"/t/{tenant.slug}/api/v1/members").status_code == 401
    page = client.get(f"/t/{tenant.slug}/members")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_role_the_platform_does_not_know_ranks_below_every_policy():
    from wijknet.tenants.core.access import has_rank
    from wijknet.tenants.core.models import Member

    assert not has_rank(Member(role="gast"), "member")
    assert has_rank(Member(role="member"), "member") and not has_rank(None, "member")
