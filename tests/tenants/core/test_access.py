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
