"""Login providers a tenant admin adds: encrypted secret, listed for that lab only, usable."""
import json
import re
from urllib.parse import urlsplit

import httpx
import pytest
from oidc_provider_mock import User as MockUser
from oidc_provider_mock import run_server_in_thread
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import TenantLoginProvider

pytestmark = pytest.mark.tenancy


@pytest.fixture(scope="module")
def provider():
    people = [MockUser(sub="org-42", claims={"email": "medewerker@gemeente.example", "email_verified": True, "name": "Gemma Gemeente"})]
    with run_server_in_thread(port=0, user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


def csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def add(client, tenant, **fields):
    page = f"/t/{tenant.slug}/admin/login-providers"
    return client.post(page, data={"csrf_token": csrf(client, page), **fields})


def test_admin_adds_a_provider_and_members_sign_in_with_it(client, engine, make_tenant, make_member, login_as, provider):
    a, b = make_tenant(name="Lab Gemeente"), make_tenant()
    login_as(client, make_member(a, "admin"))
    added = add(client, a, label="Gemeente-account", issuer=provider, client_id="lab-a", client_secret="zeer-geheim-123")
    assert added.status_code == 302
    with Session(engine) as session:
        row = session.scalars(select(TenantLoginProvider).where(TenantLoginProvider.tenant_id == a.id)).one()
        assert "zeer-geheim-123" not in row.client_secret_encrypted and row.client_secret_encrypted.startswith("gAAAA")
    assert "zeer-geheim-123" not in client.get(f"/t/{a.slug}/admin/login-providers").get_data(as_text=True)

    visitor = client.application.test_client()
    on_a = visitor.get("/login", query_string={"next": f"/t/{a.slug}/"}).get_data(as_text=True)
    on_b = visitor.get("/login", query_string={"next": f"/t/{b.slug}/"}).get_data(as_text=True)
    assert "Inloggen met Gemeente-account" in on_a and "Gemeente-account" not in on_b
    assert "Gemeente-account" not in visitor.get("/login").get_data(as_text=True)

    start = visitor.get(f"/login/tenant-{row.id}", query_string={"next": f"/t/{a.slug}/"})
    assert start.status_code == 302 and start.headers["Location"].startswith(provider)
    back = httpx.post(start.headers["Location"], data={"sub": "org-42", "action": "allow"}, follow_redirects=False)
    parts = urlsplit(back.headers["location"])
    done = visitor.get(parts.path, query_string=parts.query)
    assert done.status_code == 302 and done.headers["Location"] == f"/t/{a.slug}/"
    assert "Gemma Gemeente" in visitor.get(f"/t/{a.slug}/").get_data(as_text=True)


def test_provider_form_validation(client, make_tenant, make_member, login_as):
    tenant = make_tenant()
    login_as(client, make_member(tenant, "admin"))
    bad = add(client, tenant, label="", issuer="http://evil.example", client_id="", client_secret="")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Verbeter de gemarkeerde velden" in html and "https://-adres" in html
    assert 'aria-invalid="true"' in html and "Nog geen eigen inlogmogelijkheden" in html


def test_only_this_labs_admin_manages_its_providers(client, engine, make_tenant, make_member, login_as, provider):
    a, b = make_tenant(), make_tenant()
    login_as(client, make_member(b, "admin"))
    add(client, b, label="B-account", issuer=provider, client_id="b", client_secret="s")
    with Session(engine) as session:
        b_provider = session.scalars(select(TenantLoginProvider).where(TenantLoginProvider.tenant_id == b.id)).one().id
    admin_of_a = client.application.test_client()
    login_as(admin_of_a, make_member(a, "admin"))
    assert admin_of_a.get(f"/t/{b.slug}/admin/login-providers").status_code == 404
    token = csrf(admin_of_a, f"/t/{a.slug}/admin/login-providers")
    assert admin_of_a.post(f"/t/{b.slug}/admin/login-providers/{b_provider}/remove", data={"csrf_token": token}).status_code == 404
    assert admin_of_a.post(f"/t/{a.slug}/admin/login-providers/{b_provider}/remove", data={"csrf_token": token}).status_code == 404
    with Session(engine) as session:
        assert session.get(TenantLoginProvider, b_provider) is not None
    remover = client
    token_b = csrf(remover, f"/t/{b.slug}/admin/login-providers")
    assert remover.post(f"/t/{b.slug}/admin/login-providers/{b_provider}/remove", data={"csrf_token": token_b}).status_code == 302
    with Session(engine) as session:
        assert session.get(TenantLoginProvider, b_provider) is None
    assert client.get(f"/login/tenant-{b_provider}").status_code == 404
