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


@pytest.fixture(scope="session")
def provider():
    """One provider for the whole run: a module-scoped one is started again (on another
    port, so another issuer) when pytest runs this file's tests around another file's, and
    a person it signed in before then looks like a new identity with a taken address (403)."""
    people = [
        MockUser(sub="alice-123", claims={"email": "alice@example.org", "email_verified": True, "name": "Alice de Boer"}),
        MockUser(sub="mallory-9", claims={"email": "alice@example.org", "email_verified": True, "name": "Mallory"}),
        MockUser(sub="pre-made-7", claims={"email": "premade@example.org", "email_verified": True, "name": "Piet"}),
        # its own person: the refusal above must not find the account this one links (test order)
        MockUser(sub="pre-made-8", claims={"email": "premade-trusted@example.org", "email_verified": True, "name": "Pien"}),
        MockUser(sub="unverified-1", claims={"email": "unverified@example.org", "email_verified": False, "name": "Uma"}),
        MockUser(sub="claimer-5", claims={"email": "someone-else@example.org", "email_verified": True, "name": "Claire"}),
        MockUser(sub="bad-mail-1", claims={"email": "a@b", "email_verified": True, "name": "Bad Mail"}),
        MockUser(sub="bad-mail-2", claims={"email": "x,y@example.org", "email_verified": True, "name": "Comma Mail"}),
    ]
    with run_server_in_thread(port=0, require_nonce=True, user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def login_app(environ, engine, provider):
    providers = [{"name": "mock", "label": "Test-ID", "issuer": provider, "client_id": "wijknet", "client_secret": "s3cret"}]
    return create_app(dict(environ, WIJKNET_OIDC_PROVIDERS=json.dumps(providers)), engine=engine)


@pytest.fixture
def trusting_app(environ, engine, provider):
    """The same provider, marked by the operator as vouching for its verified addresses."""
    providers = [
        {
            "name": "mock",
            "label": "Test-ID",
            "issuer": provider,
            "client_id": "wijknet",
            "client_secret": "s3cret",
            "link_verified_email": True,
        }
    ]
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


def test_an_account_made_in_advance_is_not_taken_by_an_email_claim(login_app, engine):
    """A provider the operator did not mark as vouching for addresses cannot hand anyone an
    account by saying its email (security review finding 1)."""
    with Session(engine) as session, session.begin():
        made_id = ensure_user(session, "premade@example.org", "Piet Voorgemaakt", staff=True).id
    refused = login(login_app.test_client(), "pre-made-7")
    assert refused.status_code == 403 and "bestaat al" in refused.get_data(as_text=True)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Identity).where(Identity.subject == "pre-made-7")) == 0
        assert session.scalar(select(func.count()).select_from(Identity).where(Identity.user_id == made_id)) == 0


def test_a_trusted_provider_may_hand_a_verified_first_login_the_account_made_for_it(trusting_app, engine):
    with Session(engine) as session, session.begin():
        made_id = ensure_user(session, "premade-trusted@example.org", "Pien Voorgemaakt").id
    login(trusting_app.test_client(), "pre-made-8")
    with Session(engine) as session:
        assert session.scalars(select(Identity.user_id).where(Identity.subject == "pre-made-8")).one() == made_id


def test_unverified_email_does_not_take_an_existing_user_even_from_a_trusted_provider(trusting_app, engine):
    with Session(engine) as session, session.begin():
        ensure_user(session, "unverified@example.org", "Uma")
    refused = login(trusting_app.test_client(), "unverified-1")
    assert refused.status_code == 403


def test_an_account_made_in_advance_is_taken_through_its_claim_link_once(login_app, engine):
    from wijknet.platform.identity.models import AccountClaim
    from wijknet.platform.identity.operations import create_claim

    with Session(engine) as session, session.begin():
        made = ensure_user(session, "staf-nieuw@example.org", "Stef Staf", staff=True)
        made_id, token = made.id, create_claim(session, made, actor="test")
    client = login_app.test_client()
    page = client.get(f"/claim/{token}")
    assert page.status_code == 200 and "Stef Staf" in page.get_data(as_text=True)
    done = login(client, "claimer-5")  # another address: the link, not the email, decides
    assert done.status_code == 302
    with Session(engine) as session:
        assert session.scalars(select(Identity.user_id).where(Identity.subject == "claimer-5")).one() == made_id
        assert session.scalars(select(AccountClaim.claimed_at).where(AccountClaim.user_id == made_id)).one() is not None
    with client.session_transaction() as flask_session:
        assert flask_session["user_id"] == made_id and "claim" not in flask_session
    again = login_app.test_client().get(f"/claim/{token}")
    assert again.status_code == 410 and "al gebruikt" in again.get_data(as_text=True)
    assert login_app.test_client().get("/claim/not-a-real-token").status_code == 404


@pytest.mark.parametrize("sub", ["bad-mail-1", "bad-mail-2"])
def test_an_unusable_email_claim_is_not_kept(login_app, engine, sub):
    assert login(login_app.test_client(), sub).status_code == 302
    with Session(engine) as session:
        user = session.get(User, session.scalars(select(Identity.user_id).where(Identity.subject == sub)).one())
        assert user.email is None and user.name in ("Bad Mail", "Comma Mail")


def test_a_session_cookie_copied_before_sign_out_stops_working(login_app):
    client = login_app.test_client()
    login(client, "alice-123")
    cookie = client.get_cookie("session").value
    page = client.get("/").get_data(as_text=True)
    assert "Alice de Boer" in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = login_app.test_client()
    thief.set_cookie("session", cookie)
    page = thief.get("/").get_data(as_text=True)
    assert "Alice de Boer" not in page and "Inloggen" in page


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


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/x",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/x",
        " //evil.example",
    ],
)
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
    page = client.get("/login/mock/callback", environ_base={"REMOTE_ADDR": "10.9.8.7"}).get_data(as_text=True)
    assert "Te veel pogingen" in page and "Wacht een minuut" in page  # says what to do, in words
    page = client.get("/login/mock/callback", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert "Te veel pogingen" in page.get_data(as_text=True)
    # Another address is not affected.
    assert client.get("/login/mock/callback", environ_base={"REMOTE_ADDR": "10.9.8.8"}).status_code == 400


def test_login_limits_are_shared_by_every_worker(environ, engine, provider):
    """Security review finding 10: counts live in PostgreSQL (or Redis), not per process, so
    two workers (here two apps) together allow no more attempts than one."""
    providers = [{"name": "mock", "label": "Test-ID", "issuer": provider, "client_id": "wijknet", "client_secret": "s3cret"}]
    env = dict(environ, WIJKNET_OIDC_PROVIDERS=json.dumps(providers), RATELIMIT_STORAGE_URI="wijknet+postgresql://")
    workers = [create_app(env, engine=engine).test_client() for _ in range(2)]
    address = {"REMOTE_ADDR": "10.77.0.1"}
    statuses = [workers[i % 2].get("/login/mock/callback", environ_base=address).status_code for i in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]
