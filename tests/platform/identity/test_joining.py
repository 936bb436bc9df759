"""Invitations and join policies (operations); pages in tests/tenants/core/test_joining_pages.py."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.identity.access import membership_of
from wijknet.platform.identity.joining import (
    JoinError,
    accept_invitation,
    create_invitation,
    decide_join_request,
    join,
    set_join_policy,
)
from wijknet.platform.identity.models import Invitation, JoinRequest, User
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import ensure_user
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s
        s.rollback()


def _user(session, name):
    import secrets

    return ensure_user(session, f"{name}-{secrets.token_hex(3)}@example.org", name)


def test_invitation_is_accepted_once(session, engine, make_tenant, make_member):
    tenant_ref = make_tenant()
    tenant = session.get(Tenant, tenant_ref.id)
    admin = session.get(User, make_member(tenant_ref, "admin"))
    invitation, token = create_invitation(session, tenant, admin, email="nieuw@example.org", role="moderator")
    newcomer = _user(session, "Nieuw")
    membership = accept_invitation(session, tenant, token, newcomer)
    assert membership.role == "moderator"
    session.commit()
    with tenant_unit_of_work(engine, tenant_ref) as tenant_session:
        assert tenant_session.scalars(select(Member.role).where(Member.user_id == newcomer.id)).one() == "moderator"
    with pytest.raises(JoinError, match="already been used") as refused:
        accept_invitation(session, session.get(Tenant, tenant_ref.id), token, _user(session, "Tweede"))
    assert refused.value.status == 410
    assert token not in session.get(Invitation, invitation.id).token_hash


def test_expired_invitation_is_refused(session, make_tenant, make_member):
    tenant_ref = make_tenant()
    tenant = session.get(Tenant, tenant_ref.id)
    invitation, token = create_invitation(
        session, tenant, session.get(User, make_member(tenant_ref, "admin")), email="x@example.org"
    )
    invitation.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    with pytest.raises(JoinError, match="expired"):
        accept_invitation(session, tenant, token, _user(session, "Laat"))


def test_invitation_of_tenant_a_does_not_work_in_tenant_b(session, make_tenant, make_member):
    a_ref, b_ref = make_tenant(), make_tenant()
    _, token = create_invitation(
        session, session.get(Tenant, a_ref.id), session.get(User, make_member(a_ref, "admin")), email="x@example.org"
    )
    with pytest.raises(JoinError) as refused:
        accept_invitation(session, session.get(Tenant, b_ref.id), token, _user(session, "Dwaal"))
    assert refused.value.status == 404


def test_admin_of_a_cannot_invite_into_b_and_members_cannot_invite(session, make_tenant, make_member):
    a_ref, b_ref = make_tenant(), make_tenant()
    admin_of_a = session.get(User, make_member(a_ref, "admin"))
    with pytest.raises(JoinError) as refused:
        create_invitation(session, session.get(Tenant, b_ref.id), admin_of_a, email="x@example.org")
    assert refused.value.status == 404
    member = session.get(User, make_member(a_ref, "member"))
    with pytest.raises(JoinError):
        create_invitation(session, session.get(Tenant, a_ref.id), member, email="x@example.org")


@pytest.mark.parametrize("email,role", [("geen-adres", "member"), ("a@b.nl", "king"), ("", "member")])
def test_bad_invitation_input(session, make_tenant, make_member, email, role):
    tenant_ref = make_tenant()
    with pytest.raises(JoinError):
        create_invitation(
            session,
            session.get(Tenant, tenant_ref.id),
            session.get(User, make_member(tenant_ref, "admin")),
            email=email,
            role=role,
        )


def test_join_policies(session, make_tenant, make_member):
    tenant_ref = make_tenant()
    tenant = session.get(Tenant, tenant_ref.id)
    admin = session.get(User, make_member(tenant_ref, "admin"))
    person = _user(session, "Buur")
    with pytest.raises(JoinError, match="invitation only"):
        join(session, tenant, person)

    set_join_policy(session, tenant, "approval", actor="test")
    request = join(session, tenant, person)
    assert isinstance(request, JoinRequest) and membership_of(session, tenant.id, person.id) is None
    assert join(session, tenant, person).id == request.id  # asking twice is one request
    decide_join_request(session, tenant, admin, request.id, approve=True)
    assert membership_of(session, tenant.id, person.id).role == "member"

    other = _user(session, "Ander")
    declined = join(session, tenant, other)
    decide_join_request(session, tenant, admin, declined.id, approve=False)
    with pytest.raises(JoinError, match="declined"):
        join(session, tenant, other)
    with pytest.raises(JoinError):
        decide_join_request(session, tenant, admin, declined.id, approve=True)  # already decided

    set_join_policy(session, tenant, "open", actor="test")
    third = _user(session, "Derde")
    assert join(session, tenant, third).role == "member"
    with pytest.raises(JoinError):
        set_join_policy(session, tenant, "everyone", actor="test")


def test_join_requests_are_decided_per_tenant(session, make_tenant, make_member):
    a_ref, b_ref = make_tenant(), make_tenant()
    a, b = session.get(Tenant, a_ref.id), session.get(Tenant, b_ref.id)
    set_join_policy(session, b, "approval", actor="test")
    request = join(session, b, _user(session, "Vrager"))
    admin_of_a = session.get(User, make_member(a_ref, "admin"))
    with pytest.raises(JoinError):
        decide_join_request(session, b, admin_of_a, request.id, approve=True)
    with pytest.raises(JoinError):
        decide_join_request(session, a, admin_of_a, request.id, approve=True)
