"""Joining pages: join under each policy, accept an invitation, the admin's invitations page."""

import re

import pytest
from sqlalchemy.orm import Session

from wijknet.platform.identity.joining import set_join_policy
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import ensure_user

pytestmark = pytest.mark.tenancy


def csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def new_user(engine, name):
    import secrets

    with Session(engine) as session, session.begin():
        return ensure_user(session, f"{secrets.token_hex(4)}@example.org", name).id


def policy(engine, tenant, value):
    with Session(engine) as session, session.begin():
        set_join_policy(session, session.get(Tenant, tenant.id), value, actor="test")


def test_admin_invites_and_the_invitee_joins_once(client, engine, make_tenant, make_member, login_as):
    tenant = make_tenant(name="Lab Uitnodiging")
    admin = make_member(tenant, "admin")
    login_as(client, admin)
    page = f"/t/{tenant.slug}/admin/invitations"
    made = client.post(page, data={"csrf_token": csrf(client, page), "email": "nieuw@example.org", "role": "moderator"})
    assert made.status_code == 200
    link = re.search(r'<code class="link">([^<]+)</code>', made.get_data(as_text=True)).group(1)
    path = link.split("localhost", 1)[1]
    assert "nieuw@example.org" in made.get_data(as_text=True)

    invitee = client.application.test_client()
    assert "Log in om te accepteren" in invitee.get(path).get_data(as_text=True)
    assert invitee.post(path).status_code == 400  # no CSRF token
    login_as(invitee, new_user(engine, "Nieuwe Moderator"))
    accepted = invitee.post(path, data={"csrf_token": csrf(invitee, path)})
    assert accepted.status_code == 302
    assert "Je bent hier lid, als moderator." in invitee.get(f"/t/{tenant.slug}/").get_data(as_text=True)

    second = client.application.test_client()
    login_as(second, new_user(engine, "Te Laat"))
    again = second.get(path)
    assert again.status_code == 410 and "al gebruikt" in again.get_data(as_text=True)


def test_invitation_form_validation_keeps_nothing(client, engine, make_tenant, make_member, login_as):
    tenant = make_tenant()
    login_as(client, make_member(tenant, "admin"))
    page = f"/t/{tenant.slug}/admin/invitations"
    bad = client.post(page, data={"csrf_token": csrf(client, page), "email": "geen adres", "role": "member"})
    assert bad.status_code == 400 and "e-mailadres" in bad.get_data(as_text=True)
    assert "Geen openstaande uitnodigingen" in bad.get_data(as_text=True)


def test_only_admins_of_this_tenant_see_the_invitations_page(client, engine, make_tenant, make_member, login_as):
    a, b = make_tenant(), make_tenant()
    login_as(client, make_member(a, "moderator"))
    assert client.get(f"/t/{a.slug}/admin/invitations").status_code == 404
    login_as(client, make_member(a, "admin"))
    admin_page = client.get(f"/t/{a.slug}/admin/invitations")
    assert admin_page.status_code == 200 and 'name="email"' in admin_page.get_data(as_text=True)
    assert client.get(f"/t/{b.slug}/admin/invitations").status_code == 404
    assert (
        client.post(
            f"/t/{b.slug}/admin/join-requests/1", data={"csrf_token": csrf(client, f"/t/{a.slug}/admin/invitations")}
        ).status_code
        == 404
    )


def test_join_pages_follow_the_policy(client, engine, make_tenant, make_member, login_as):
    tenant = make_tenant()
    admin = make_member(tenant, "admin")
    join_path = f"/t/{tenant.slug}/join"
    assert "alleen op uitnodiging" in client.get(join_path).get_data(as_text=True)

    policy(engine, tenant, "open")
    assert "Log in om lid te worden" in client.get(join_path).get_data(as_text=True)
    login_as(client, new_user(engine, "Open Buur"))
    joined = client.post(join_path, data={"csrf_token": csrf(client, join_path)})
    assert "Je bent lid van deze proeftuin" in joined.get_data(as_text=True)

    policy(engine, tenant, "approval")
    asker = client.application.test_client()
    login_as(asker, new_user(engine, "Vragende Buur"))
    asked = asker.post(join_path, data={"csrf_token": csrf(asker, join_path)})
    assert "Je verzoek is verstuurd" in asked.get_data(as_text=True)

    admin_client = client.application.test_client()
    login_as(admin_client, admin)
    admin_page = f"/t/{tenant.slug}/admin/invitations"
    listing = admin_client.get(admin_page).get_data(as_text=True)
    assert "Vragende Buur" in listing
    action = re.search(r'action="(/t/[^"]+/admin/join-requests/\d+)"', listing).group(1)
    decided = admin_client.post(action, data={"csrf_token": csrf(admin_client, admin_page), "decision": "approve"})
    assert decided.status_code == 302
    assert "Je bent hier lid" in asker.get(f"/t/{tenant.slug}/").get_data(as_text=True)


def test_unknown_invitation_token_is_404(client, make_tenant):
    tenant = make_tenant()
    assert client.get(f"/t/{tenant.slug}/invitation/not-a-real-token").status_code == 404


def test_admin_sets_the_join_policy_and_nobody_else_can(client, engine, make_tenant, make_member, login_as):
    a, b = make_tenant(), make_tenant()
    page = f"/t/{a.slug}/admin/invitations"
    login_as(client, make_member(a, "admin"))
    changed = client.post(f"/t/{a.slug}/admin/join-policy", data={"csrf_token": csrf(client, page), "policy": "approval"})
    assert changed.status_code == 302
    assert 'value="approval" checked' in client.get(page).get_data(as_text=True)
    assert "een beheerder beslist" in client.application.test_client().get(f"/t/{a.slug}/join").get_data(as_text=True)

    bad = client.post(f"/t/{a.slug}/admin/join-policy", data={"csrf_token": csrf(client, page), "policy": "everyone'; --"})
    assert bad.status_code == 400 and "Kies wie" in bad.get_data(as_text=True)
    assert (
        client.post(f"/t/{b.slug}/admin/join-policy", data={"csrf_token": csrf(client, page), "policy": "open"}).status_code
        == 404
    )

    moderator = client.application.test_client()
    login_as(moderator, make_member(a, "moderator"))
    home = f"/t/{a.slug}/"
    assert (
        moderator.post(f"/t/{a.slug}/admin/join-policy", data={"csrf_token": csrf(moderator, home), "policy": "open"}).status_code
        == 404
    )
    with Session(engine) as session:
        assert session.get(Tenant, a.id).join_policy == "approval"
        assert session.get(Tenant, b.id).join_policy == "invite_only"
