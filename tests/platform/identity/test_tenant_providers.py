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


@pytest.fixture(scope="session")  # one issuer for the whole run, as in test_login.py
def provider():
    people = [
        MockUser(sub="org-42", claims={"email": "medewerker@gemeente.example", "email_verified": True, "name": "Gemma Gemeente"})
    ]
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
    assert (
        admin_of_a.post(f"/t/{b.slug}/admin/login-providers/{b_provider}/remove", data={"csrf_token": token}).status_code == 404
    )
    assert (
        admin_of_a.post(f"/t/{a.slug}/admin/login-providers/{b_provider}/remove", data={"csrf_token": token}).status_code == 404
    )
    with Session(engine) as session:
        assert session.get(TenantLoginProvider, b_provider) is not None
    remover = client
    token_b = csrf(remover, f"/t/{b.slug}/admin/login-providers")
    assert remover.post(f"/t/{b.slug}/admin/login-providers/{b_provider}/remove", data={"csrf_token": token_b}).status_code == 302
    with Session(engine) as session:
        assert session.get(TenantLoginProvider, b_provider) is None
    assert client.get(f"/login/tenant-{b_provider}").status_code == 404


# --- security review finding 1: a lab's own provider is trusted for that lab only -----------
@pytest.fixture(scope="session")
def rogue_provider():
    """A provider run by a lab's admin, saying whatever it likes about who signs in."""
    people = [MockUser(sub="rogue-1", claims={"email": "victim@network.example", "email_verified": True, "name": "Nep Staf"})]
    with run_server_in_thread(port=0, user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


def _sign_in_through(client, provider_id, provider_url, sub, next_path="/"):
    start = client.get(f"/login/tenant-{provider_id}", query_string={"next": next_path})
    assert start.status_code == 302 and start.headers["Location"].startswith(provider_url)
    back = httpx.post(start.headers["Location"], data={"sub": sub, "action": "allow"}, follow_redirects=False)
    parts = urlsplit(back.headers["location"])
    return client.get(parts.path, query_string=parts.query)


def test_a_labs_own_provider_cannot_take_over_an_account_made_for_someone_else(
    client, engine, make_tenant, make_member, login_as, rogue_provider
):
    from wijknet.platform.identity.models import Identity, Membership, User
    from wijknet.platform.tenancy.models import Tenant
    from wijknet.platform.tenancy.operations import TenantActionError, add_member, ensure_user

    lab_a, lab_b = make_tenant(), make_tenant()
    with Session(engine) as session, session.begin():  # made by an operator, never signed in yet
        victim = ensure_user(session, "victim@network.example", "Echte Staf", staff=True)
        add_member(session, session.get(Tenant, lab_b.id), victim, "admin")
        victim_id = victim.id
    login_as(client, make_member(lab_a, "admin"))
    assert add(client, lab_a, label="Eigen ID", issuer=rogue_provider, client_id="a", client_secret="s").status_code == 302
    with Session(engine) as session:
        provider_id = session.scalars(select(TenantLoginProvider.id).where(TenantLoginProvider.tenant_id == lab_a.id)).one()

    attacker = client.application.test_client()
    done = _sign_in_through(attacker, provider_id, rogue_provider, "rogue-1", f"/t/{lab_a.slug}/")
    assert done.status_code == 302
    with attacker.session_transaction() as flask_session:
        attacker_id = flask_session["user_id"]
    assert attacker_id != victim_id
    with Session(engine) as session:
        made = session.get(User, attacker_id)
        assert (made.tenant_id, made.is_staff) == (lab_a.id, False)
        # the attacker's one identity (another test's lab may have its own "rogue-1")
        assert session.scalars(select(Identity.tenant_id).where(Identity.user_id == attacker_id)).all() == [lab_a.id]
        assert session.scalars(select(Identity).where(Identity.user_id == victim_id)).all() == []
        assert session.scalars(select(Membership.tenant_id).where(Membership.user_id == attacker_id)).all() == []
    # None of the victim's roles, in any lab.
    assert attacker.get(f"/t/{lab_b.slug}/admin/invitations").status_code == 404
    assert attacker.get(f"/t/{lab_b.slug}/members").status_code == 404
    # And such a user never becomes staff or a member elsewhere, whichever path tries.
    with Session(engine) as session:
        made = session.get(User, attacker_id)
        with pytest.raises(TenantActionError, match="another living lab"):
            add_member(session, session.get(Tenant, lab_b.id), made, "member")
        session.rollback()
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="another living lab"):
        with Session(engine) as session, session.begin():
            session.add(Membership(tenant_id=lab_b.id, user_id=attacker_id, role="member"))
    with pytest.raises(IntegrityError, match="staff_is_network_wide"):
        with Session(engine) as session, session.begin():
            session.get(User, attacker_id).is_staff = True
    # It may become a member of its own lab.
    with Session(engine) as session, session.begin():
        add_member(session, session.get(Tenant, lab_a.id), session.get(User, attacker_id), "member")


def test_a_labs_users_cannot_accept_another_labs_invitation(client, engine, make_tenant, make_member, login_as, rogue_provider):
    from wijknet.platform.identity.joining import create_invitation
    from wijknet.platform.identity.models import User
    from wijknet.platform.tenancy.models import Tenant

    lab_a, lab_b = make_tenant(), make_tenant()
    login_as(client, make_member(lab_a, "admin"))
    add(client, lab_a, label="Eigen ID", issuer=rogue_provider, client_id="a", client_secret="s")
    with Session(engine) as session, session.begin():
        provider_id = session.scalars(select(TenantLoginProvider.id).where(TenantLoginProvider.tenant_id == lab_a.id)).one()
        _, token = create_invitation(
            session,
            session.get(Tenant, lab_b.id),
            session.get(User, make_member(lab_b, "admin")),
            email="wie@example.org",
            role="admin",
        )
    person = client.application.test_client()
    _sign_in_through(person, provider_id, rogue_provider, "rogue-1")
    path = f"/t/{lab_b.slug}/invitation/{token}"
    refused = person.post(path, data={"csrf_token": csrf(person, path)})
    assert refused.status_code == 403 and "eigen inlogdienst" in refused.get_data(as_text=True)


# --- security review finding 5: no requests to places the provider's admin chooses ----------
class _Recorder:
    """A tiny HTTP server on loopback that serves a discovery document and records requests."""

    def __init__(self, document=None, body: bytes | None = None):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        recorder = self
        self.requests: list[str] = []
        self.document, self.body = document, body

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                recorder.requests.append(self.path)
                payload = recorder.body if recorder.body is not None else json.dumps(recorder.document(recorder)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _provider_row(engine, tenant, issuer):
    from wijknet.platform.config import load_settings
    from wijknet.platform.identity.tenant_providers import encrypt

    key = load_settings({"WIJKNET_ENV": "test"}).secrets_key
    with Session(engine) as session, session.begin():
        row = TenantLoginProvider(
            tenant_id=tenant.id, label="X", issuer=issuer, client_id="c", client_secret_encrypted=encrypt(key, "s")
        )
        session.add(row)
        session.flush()
        return row.id


def test_discovery_naming_endpoints_on_another_host_is_refused(client, engine, make_tenant):
    tenant = make_tenant()
    with (
        _Recorder() as elsewhere,
        _Recorder(
            lambda r: {
                "issuer": f"http://localhost:{r.port}",
                "authorization_endpoint": f"http://localhost:{r.port}/authorize",
                "token_endpoint": f"http://127.0.0.1:{elsewhere.port}/steal",
                "jwks_uri": f"http://localhost:{r.port}/jwks",
            }
        ) as provider,
    ):
        provider_id = _provider_row(engine, tenant, f"http://localhost:{provider.port}")
        answer = client.get(f"/login/tenant-{provider_id}")
        assert answer.status_code == 503 and "is nu niet bereikbaar" in answer.get_data(as_text=True)
        assert provider.requests == ["/.well-known/openid-configuration"] and elsewhere.requests == []


def test_no_connection_to_private_addresses_where_they_are_not_allowed(environ, engine, make_tenant):
    """As in production: a provider whose name resolves to a loopback address is refused
    after the connection is made and before a byte is sent."""
    from wijknet.platform.app import create_app

    app = create_app(dict(environ, WIJKNET_PROVIDER_PRIVATE_ADDRESSES="0"), engine=engine)
    tenant = make_tenant()
    with _Recorder(lambda r: {"issuer": f"https://localhost:{r.port}"}) as provider:
        provider_id = _provider_row(engine, tenant, f"https://localhost:{provider.port}")
        answer = app.test_client().get(f"/login/tenant-{provider_id}")
        assert answer.status_code == 503 and provider.requests == []


def test_an_oversized_discovery_document_is_refused(client, engine, make_tenant):
    tenant = make_tenant()
    with _Recorder(body=b'{"issuer": "' + b"x" * 400_000 + b'"}') as provider:
        provider_id = _provider_row(engine, tenant, f"http://localhost:{provider.port}")
        assert client.get(f"/login/tenant-{provider_id}").status_code == 503
