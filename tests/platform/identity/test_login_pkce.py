"""Login against a certified, PKCE-enforcing OpenID provider: the npm package oidc-provider,
run on the machine's Node. Our client passes; tampering is refused without a session."""

import json
import os
import re
import shutil
import socket
import subprocess
from contextlib import contextmanager
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest

from wijknet.platform.app import create_app

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pkce_provider")
CALLBACK = "http://localhost/login/pkce/callback"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def node_modules():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("Node.js and npm are needed for the PKCE provider test")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, capture_output=True, timeout=300)
    return node


@contextmanager
def pkce_provider(node, **env):
    port = _free_port()
    environment = dict(os.environ, PORT=str(port), REDIRECT_URI=CALLBACK, **{k: str(v) for k, v in env.items()})
    proc = subprocess.Popen(
        [node, "server.mjs"], cwd=HERE, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("ready"), line
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def make_app(environ, engine, issuer, leeway=60):
    providers = [
        {"name": "pkce", "label": "PKCE-ID", "issuer": issuer, "client_id": "wijknet", "client_secret": "wijknet-secret"}
    ]
    app = create_app(dict(environ, WIJKNET_OIDC_PROVIDERS=json.dumps(providers)), engine=engine)
    app.config["OIDC_LEEWAY_SECONDS"] = leeway
    return app


def authorize(client, person="alice"):
    """Our redirect to the provider, then the person at the provider's own login and consent
    pages (its development interactions); returns the provider's redirect back to us."""
    location = client.get("/login/pkce", query_string={"next": "/"}).headers["Location"]
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        for _ in range(12):
            if location.startswith(CALLBACK):
                return location
            response = browser.get(location)
            if response.status_code in (302, 303):
                location = urljoin(location, response.headers["location"])
                continue
            action = re.search(r'action="([^"]+)"', response.text).group(1)
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
            if fields.get("prompt") == "login":
                fields.update(login=person, password="any")
            response = browser.post(urljoin(location, action), data=fields)
            location = urljoin(location, response.headers["location"])
    raise AssertionError("never came back from the provider")


def callback(client, location):
    parts = urlsplit(location)
    return client.get(parts.path, query_string=parts.query)


def signed_in(client) -> bool:
    with client.session_transaction() as flask_session:
        return "user_id" in flask_session


def test_our_client_passes_a_provider_that_requires_pkce(node_modules, environ, engine):
    with pkce_provider(node_modules) as issuer:
        client = make_app(environ, engine, issuer).test_client()
        done = callback(client, authorize(client))
        assert done.status_code == 302 and done.headers["Location"] == "/", done.get_data(as_text=True)[:500]
        assert signed_in(client)
        assert "Alice PKCE" in client.get("/").get_data(as_text=True)


def test_tampered_state_is_refused(node_modules, environ, engine):
    with pkce_provider(node_modules) as issuer:
        client = make_app(environ, engine, issuer).test_client()
        parts = urlsplit(authorize(client))
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["state"] = query["state"][::-1]
        refused = client.get(parts.path, query_string=urlencode(query))
        assert refused.status_code == 400 and "niet gelukt" in refused.get_data(as_text=True)
        assert not signed_in(client)


def test_wrong_nonce_is_refused(node_modules, environ, engine):
    with pkce_provider(node_modules) as issuer:
        client = make_app(environ, engine, issuer).test_client()
        location = authorize(client)
        with client.session_transaction() as flask_session:
            key = next(k for k in flask_session if k.startswith("_state_pkce_"))
            state = dict(flask_session[key])
            state["data"] = dict(state["data"], nonce="not-the-nonce-we-sent")
            flask_session[key] = state
        refused = callback(client, location)
        assert refused.status_code == 400 and not signed_in(client)


def test_replayed_code_is_refused(node_modules, environ, engine):
    with pkce_provider(node_modules) as issuer:
        app = make_app(environ, engine, issuer)
        first = app.test_client()
        location = authorize(first)
        assert callback(first, location).status_code == 302
        second = app.test_client()
        with first.session_transaction() as old, second.session_transaction() as new:
            new.update({k: v for k, v in old.items() if k.startswith("_state_")})
        replay = callback(first, location)  # the same browser, the same code once more
        assert replay.status_code == 400
        assert callback(second, location).status_code == 400 and not signed_in(second)


def test_expired_id_token_is_refused(node_modules, environ, engine):
    # The provider's clock runs 10 minutes behind: its one-minute ID tokens arrive expired.
    with pkce_provider(node_modules, ID_TOKEN_TTL=60, CLOCK_OFFSET=-600) as issuer:
        client = make_app(environ, engine, issuer, leeway=30).test_client()
        refused = callback(client, authorize(client))
        assert refused.status_code == 400 and not signed_in(client)


def test_foreign_issuer_is_refused(node_modules, environ, engine):
    with pkce_provider(node_modules, ISSUER="http://issuer.elsewhere.example") as served_at:
        client = make_app(environ, engine, served_at).test_client()
        refused = callback(client, authorize(client))
        assert refused.status_code == 400 and not signed_in(client)
