"""Issue 19: every refusal of the joining rules answers with its own status and stable code
(what pages and API clients act on), invitations last exactly INVITATION_DAYS and carry
192 random bits, and an invitation never lowers a member's role. Mutation testing found
these unpinned (make mutate)."""

import secrets
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from wijknet.platform.identity.joining import (
    INVITATION_DAYS,
    JoinError,
    accept_invitation,
    create_invitation,
    decide_join_request,
    join,
    set_join_policy,
)
from wijknet.platform.identity.models import User
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import add_member, ensure_user

pytestmark = pytest.mark.tenancy


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s
        s.rollback()


@pytest.fixture
def lab(session, make_tenant, make_member):
    ref = make_tenant()
    return session.get(Tenant, ref.id), session.get(User, make_member(ref, "admin"))


def _person(session, **kw) -> User:
    user = User(email=f"p-{secrets.token_hex(4)}@example.org", name="Persoon", **kw)
    session.add(user)
    session.flush()
    return user


def _refusal(action) -> tuple[int, str]:
    with pytest.raises(JoinError) as refused:
        action()
    return refused.value.status, refused.value.code


def test_an_invitation_lasts_exactly_its_days_and_its_token_is_long(session, lab):
    tenant, admin = lab
    before = datetime.now(timezone.utc)
    invitation, token = create_invitation(session, tenant, admin, email="x@example.org")
    after = datetime.now(timezone.utc)
    assert INVITATION_DAYS == 14
    assert before + timedelta(days=14) <= invitation.expires_at <= after + timedelta(days=14)
    assert len(token) == 32  # token_urlsafe(24): 24 random bytes, 192 bits


def test_refusals_have_their_own_status_and_code(session, lab, make_tenant):
    tenant, admin = lab
    invitation, token = create_invitation(session, tenant, admin, email="x@example.org")
    invitation.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert _refusal(lambda: accept_invitation(session, tenant, token, _person(session))) == (410, "join.invitation_expired")

    other_lab = session.get(Tenant, make_tenant().id)
    outsider = _person(session, tenant_id=other_lab.id)  # signed in through another lab's own provider
    _, fresh = create_invitation(session, tenant, admin, email="y@example.org")
    assert _refusal(lambda: accept_invitation(session, tenant, fresh, outsider)) == (403, "join.other_lab_account")
    assert _refusal(lambda: join(session, tenant, outsider)) == (403, "join.other_lab_account")
    assert _refusal(lambda: join(session, tenant, _person(session))) == (403, "join.invitation_only")

    set_join_policy(session, tenant, "approval", actor="test")
    declined = join(session, tenant, person := _person(session))
    decide_join_request(session, tenant, admin, declined.id, approve=False)
    assert _refusal(lambda: join(session, tenant, person)) == (403, "join.request_declined")
    assert _refusal(lambda: decide_join_request(session, tenant, admin, declined.id, approve=True)) == (
        404,
        "join.request_not_found",
    )
    assert _refusal(lambda: decide_join_request(session, tenant, admin, 2**62, approve=True)) == (404, "join.request_not_found")


def test_a_labs_own_account_joins_its_own_lab(session, lab):
    tenant, admin = lab
    own = _person(session, tenant_id=tenant.id)
    _, token = create_invitation(session, tenant, admin, email="own@example.org", role="moderator")
    assert accept_invitation(session, tenant, token, own).role == "moderator"
    set_join_policy(session, tenant, "open", actor="test")
    second = _person(session, tenant_id=tenant.id)
    assert join(session, tenant, second).role == "member"


@pytest.mark.parametrize(
    ("current", "invited", "result"),
    [("moderator", "member", "moderator"), ("member", "admin", "admin"), ("moderator", "moderator", "moderator")],
)
def test_an_invitation_raises_a_role_and_never_lowers_it(session, lab, current, invited, result):
    tenant, admin = lab
    person = ensure_user(session, f"r-{secrets.token_hex(3)}@example.org")
    add_member(session, tenant, person, current)
    _, token = create_invitation(session, tenant, admin, email=person.email, role=invited)
    assert accept_invitation(session, tenant, token, person).role == result
