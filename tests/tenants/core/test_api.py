"""The people API with personal access tokens: scoped to one tenant, hashed, revocable."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.app import create_app
from wijknet.platform.identity.models import ApiToken, User
from wijknet.platform.identity.tokens import TokenError, create_token, revoke_token, token_hash

pytestmark = pytest.mark.tenancy


@pytest.fixture
def token_for(engine):
    def make(tenant, user_id, name="test"):
        with Session(engine) as session, session.begin():
            token, plaintext = create_token(session, tenant_id=tenant.id, user=session.get(User, user_id), name=name)
            return token.id, plaintext

    return make


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_members_api_with_a_token(client, make_tenant, make_member, token_for, engine):
    tenant = make_tenant()
    me = make_member(tenant, "moderator", "Mo Derator")
    make_member(tenant, "member", "Ans Lid")
    token_id, token = token_for(tenant, me)
    response = client.get(f"/t/{tenant.slug}/api/v1/members", headers=bearer(token))
    assert response.status_code == 200
    assert sorted(m["display_name"] for m in response.json) == ["Ans Lid", "Mo Derator"]
    assert client.get(f"/t/{tenant.slug}/api/v1/me", headers=bearer(token)).json == {
        "user_id": me,
        "name": "Mo Derator",
        "role": "moderator",
        "tenant": tenant.slug,
    }
    with Session(engine) as session:
        stored = session.get(ApiToken, token_id)
        assert stored.token_hash == token_hash(token) and token not in (stored.token_hash, stored.prefix)
        assert stored.last_used_at is not None


def test_a_token_of_tenant_a_gets_404_on_tenant_b_by_path_and_by_host(environ, engine, make_tenant, make_member, token_for):
    a, b = make_tenant(), make_tenant()
    make_member(b, "admin", "Geheim")
    _, token = token_for(a, make_member(a, "admin"))
    app = create_app(dict(environ, WIJKNET_BASE_DOMAIN="wijknet.test"), engine=engine)
    client = app.test_client()
    assert client.get(f"/t/{a.slug}/api/v1/members", headers=bearer(token), base_url="http://wijknet.test").status_code == 200
    by_path = client.get(f"/t/{b.slug}/api/v1/members", headers=bearer(token), base_url="http://wijknet.test")
    by_host = client.get("/api/v1/members", headers=bearer(token), base_url=f"http://{b.slug}.wijknet.test")
    assert by_path.status_code == by_host.status_code == 404
    assert by_path.json["code"] == "not_found" and "Geheim" not in by_path.get_data(as_text=True)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wkn_nonsense", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000])
def test_missing_or_bad_tokens_get_401(client, make_tenant, header):
    tenant = make_tenant()
    response = client.get(f"/t/{tenant.slug}/api/v1/members", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.json["code"] == "unauthorized" and response.json["status"] == 401


def test_the_session_cookie_does_not_authenticate_the_api(client, make_tenant, make_member, login_as):
    tenant = make_tenant()
    login_as(client, make_member(tenant, "admin"))
    assert client.get(f"/t/{tenant.slug}/members").status_code == 200
    assert client.get(f"/t/{tenant.slug}/api/v1/members").status_code == 401


def test_revoked_token_stops_working(client, engine, make_tenant, make_member, token_for):
    tenant = make_tenant()
    token_id, token = token_for(tenant, make_member(tenant))
    assert client.get(f"/t/{tenant.slug}/api/v1/me", headers=bearer(token)).status_code == 200
    with Session(engine) as session, session.begin():
        revoke_token(session, tenant_id=tenant.id, token_id=token_id)
    assert client.get(f"/t/{tenant.slug}/api/v1/me", headers=bearer(token)).status_code == 401


def test_tokens_need_membership_and_a_name(engine, make_tenant, make_member):
    a, b = make_tenant(), make_tenant()
    member_of_a = make_member(a)
    with Session(engine) as session:
        user = session.get(User, member_of_a)
        with pytest.raises(TokenError, match="Only a member"):
            create_token(session, tenant_id=b.id, user=user, name="x")
        with pytest.raises(TokenError, match="1 to 80"):
            create_token(session, tenant_id=a.id, user=user, name=" ")
        with pytest.raises(TokenError, match="no such token"):
            revoke_token(session, tenant_id=b.id, token_id=10**12)


def test_a_removed_member_token_gets_404(client, engine, make_tenant, make_member, token_for):
    from wijknet.platform.identity.models import Membership

    tenant = make_tenant()
    user_id = make_member(tenant)
    _, token = token_for(tenant, user_id)
    with Session(engine) as session, session.begin():
        session.delete(session.scalars(select(Membership).where(Membership.user_id == user_id)).one())
    assert client.get(f"/t/{tenant.slug}/api/v1/me", headers=bearer(token)).status_code == 404


def test_openapi_documents_the_tenant_api(client):
    spec = client.get("/api/openapi.json").json
    assert "/t/{slug}/api/v1/members" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_cli_users_and_tokens(run_cli, make_tenant, client):
    tenant = make_tenant()
    added = run_cli(
        "users", "add", "--email", "cli-user@example.org", "--name", "Cli Gebruiker", "--tenant", tenant.slug, "--role", "admin"
    )
    assert added.returncode == 0, added.stderr
    created = run_cli("tokens", "create", "--email", "cli-user@example.org", "--tenant", tenant.slug, "--name", "script")
    assert created.returncode == 0 and "shown once" in created.stderr
    token = created.stdout.strip()
    assert token.startswith("wkn_")
    assert client.get(f"/t/{tenant.slug}/api/v1/me", headers=bearer(token)).json["role"] == "admin"
    listed = run_cli("tokens", "list", "--tenant", tenant.slug).stdout
    assert "script" in listed and token not in listed and "last used" in listed
    token_id = listed.split()[0]
    assert run_cli("tokens", "revoke", "--tenant", tenant.slug, "--id", token_id).returncode == 0
    assert client.get(f"/t/{tenant.slug}/api/v1/me", headers=bearer(token)).status_code == 401
    assert "revoked" in run_cli("tokens", "list", "--tenant", tenant.slug).stdout
    unknown = run_cli("tokens", "create", "--email", "nobody@example.org", "--tenant", tenant.slug)
    assert unknown.returncode == 1 and "No user" in unknown.stderr
    staff = run_cli("users", "add", "--email", "staf2@example.org", "--name", "Staf", "--staff")
    assert staff.returncode == 0 and "(staff)" in staff.stdout


def test_openapi_documents_security_and_errors_of_every_tenant_operation(client):
    spec = client.get("/api/openapi.json").json
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        if path.startswith("/t/{slug}/api/")
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) >= 8
    for path, method, op in operations:
        assert op["security"] == [{"bearer": []}], (path, method)
        assert {"400", "401", "404", "429", "503"} <= set(op["responses"]), (path, method)
        if method != "get":
            assert "409" in op["responses"], (path, method)
    assert spec["paths"]["/api/v1/tenants"]["get"]["security"] == []
