"""OpenID Connect login against oidc-provider-mock, running as a real server on loopback."""
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from oidc_provider_mock import User as MockUser
from oidc_provider_mock import run_server_in_thread
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.app import create_app
from wijknet.platform.identity.models import Identity, User
from wijknet.platform.tenancy.operations import ensure_user


@pytest.fixture(scope="module")
def provider():
    people = [
        MockUser(sub="alice-123", claims={"email": "alice@example.org", "email_verified": True, "name": "Alice de Boer"}),
        MockUser(sub="mallory-9", claims={"email": "alice@example.org", "email_verified": True, "name": "Mallory"}),
        MockUser(sub="pre-made-7", claims={"email": "premade@example.org", "email_verified": True, "name": "Piet"}),
        MockUser(sub="unverified-1", claims={"email": "unverified@example.org", "email_verified": False, "name": "Uma"}),
    ]
    with run_server_in_thread(port=0, require_nonce=True, user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def login_app(environ, engine, provider):
    providers = [{"name": "mock", "label": "Test-ID", "issuer": provider, "client_id": "wijknet", "client_secret": "s3cret"}]
    return create_app(dict(environ, WIJKNET_OIDC_PROVIDERS=json.dumps(providers)), engine=engine)


def start(client, next_path="/"):
    response = client.get("/login/mock", query_string={"next": next_path})
    assert response.status_code == 302
    return response.headers["Location"]


def consent(authorize_url, sub):
    """What the person does at the provider: choose who they are and allow."""
    response = httpx.post(authorize_url, data={"sub": sub, "action": "allow"}, follow_redirects=False)
    assert response.status_code in (302, 303), response.text[:300]
    return response.headers["location"]


def finish(client, callback_url):
    parts = urlsplit(callback_url)
    return client.get(parts.path, query_string=parts.query)


def login(client, sub, next_path="/"):
    return finish(client, consent(start(client, next_path), sub))


def test_authorize_request_uses_pkce_state_and_nonce(login_app):
    query = parse_qs(urlsplit(start(login_app.test_client())).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0]


def test_first_login_creates_the_user_and_second_login_reuses_it(login_app, engine):
    client = login_app.test_client()
    done = login(client, "alice-123", "/t/unknown-lab/")
    assert done.status_code == 302 and done.headers["Location"] == "/t/unknown-lab/"
    page = client.get("/").get_data(as_text=True)
    assert "Alice de Boer" in page and "Uitloggen" in page
    with Session(engine) as session:
        identity = session.scalars(select(Identity).where(Identity.subject == "alice-123")).one()
        assert identity.email == "alice@example.org"
        first_user = identity.user_id

    other = login_app.test_client()
    login(other, "alice-123")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Identity).where(Identity.subject == "alice-123")) == 1
        assert session.scalar(select(func.count()).select_from(User).where(User.email == "alice@example.org")) == 1
        assert session.scalars(select(Identity.user_id).where(Identity.subject == "alice-123")).one() == first_user


def test_another_identity_with_the_same_email_is_not_linked(login_app, engine):
    login(login_app.test_client(), "alice-123")
    client = login_app.test_client()
    refused = login(client, "mallory-9")
    assert refused.status_code == 403 and "bestaat al" in refused.get_data(as_text=True)
    with client.session_transaction() as flask_session:
        assert "user_id" not in flask_session
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Identity).where(Identity.subject == "mallory-9")) == 0


def test_operator_created_user_is_taken_by_a_verified_first_login(login_app, engine):
    with Session(engine) as session, session.begin():
        made = ensure_user(session, "premade@example.org", "Piet Voorgemaakt")
        made_id = made.id
    login(login_app.test_client(), "pre-made-7")
    with Session(engine) as session:
        assert session.scalars(select(Identity.user_id).where(Identity.subject == "pre-made-7")).one() == made_id


def test_unverified_email_does_not_take_an_existing_user(login_app, engine):
    with Session(engine) as session, session.begin():
        ensure_user(session, "unverified@example.org", "Uma")
    refused = login(login_app.test_client(), "unverified-1")
    assert refused.status_code == 403


def test_tampered_state_is_refused_without_a_session(login_app):
    client = login_app.test_client()
    callback = consent(start(client), "alice-123")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = ["tampered" + query["state"][0][8:]]
    response = client.get(parts.path, query_string={k: v[0] for k, v in query.items()})
    assert response.status_code == 400 and "niet gelukt" in response.get_data(as_text=True)
    with client.session_transaction() as flask_session:
        assert "user_id" not in flask_session


def test_replayed_code_is_refused(login_app):
    client = login_app.test_client()
    callback = consent(start(client), "alice-123")
    assert finish(client, callback).status_code == 302
    replay_client = login_app.test_client()
    assert finish(replay_client, callback).status_code == 400
    with replay_client.session_transaction() as flask_session:
        assert "user_id" not in flask_session


def test_session_is_rotated_at_login_and_cleared_at_logout(login_app):
    client = login_app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["planted"] = "by an attacker"
    login(client, "alice-123")
    with client.session_transaction() as flask_session:
        assert "planted" not in flask_session and flask_session["user_id"]
    refused = client.post("/logout")  # no CSRF token
    assert refused.status_code == 400
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    out = client.post("/logout", data={"csrf_token": token, "next": "//evil.example"})
    assert out.status_code == 302 and out.headers["Location"] == "/"
    with client.session_transaction() as flask_session:
        assert "user_id" not in flask_session


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "/\\evil.example"])
def test_open_redirects_land_on_a_local_page(login_app, target):
    client = login_app.test_client()
    done = login(client, "alice-123", target)
    assert done.headers["Location"] == "/"


def test_login_page_lists_the_providers_and_unknown_provider_is_404(login_app):
    client = login_app.test_client()
    page = client.get("/login?next=/t/x/").get_data(as_text=True)
    assert "Inloggen met Test-ID" in page and "next=/t/x/" in page
    assert client.get("/login/nope").status_code == 404
    assert client.get("/login/nope/callback").status_code == 404


def test_bad_provider_configuration_is_refused():
    from wijknet.platform.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="JSON list"):
        load_settings({"WIJKNET_OIDC_PROVIDERS": "{not json"})
    with pytest.raises(ConfigError, match="https"):
        load_settings({"WIJKNET_OIDC_PROVIDERS": json.dumps([{"name": "x", "issuer": "http://evil.example", "client_id": "a"}])})


def test_login_attempts_are_rate_limited(login_app):
    client = login_app.test_client()
    statuses = [client.get("/login/mock/callback", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code for _ in range(12)]
    assert statuses[:10] == [400] * 10  # no state: refused, but counted
    assert statuses[10:] == [429, 429]
    page = client.get("/login/mock/callback", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert "Te veel pogingen" in page.get_data(as_text=True)
    # Another address is not affected.
    assert client.get("/login/mock/callback", environ_base={"REMOTE_ADDR": "10.9.8.8"}).status_code == 400
