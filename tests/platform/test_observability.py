"""Issue 17, items 2 and 3: a request id on every request, one JSON log line per request,
and errors sent to Sentry (here: a local HTTP endpoint standing in for it) with the lab's
tag and without the people's emails, names, cookies or tokens."""

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from sqlalchemy import text
from sqlalchemy.orm import Session

from wijknet.platform.app import create_app
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token

pytestmark = pytest.mark.tenancy


def _request_lines(err: str) -> list[dict]:
    lines = []
    for line in err.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("message") == "request":
                lines.append(record)
    return lines


def test_every_request_has_an_id_and_a_json_log_line(client, make_tenant, make_member, login_as, capsys):
    tenant = make_tenant()
    user_id = make_member(tenant)
    login_as(client, user_id)
    capsys.readouterr()
    offered = client.get(f"/t/{tenant.slug}/members", headers={"X-Request-ID": "lb-7f3a.91_x"})
    assert offered.headers["X-Request-ID"] == "lb-7f3a.91_x"
    made = client.get(f"/t/{tenant.slug}/", headers={"X-Request-ID": "bad id <script>"})
    assert made.headers["X-Request-ID"] != "bad id <script>" and len(made.headers["X-Request-ID"]) == 32
    first, second = _request_lines(capsys.readouterr().err)
    assert first["request_id"] == "lb-7f3a.91_x" and first["tenant"] == tenant.slug and first["user_id"] == user_id
    assert first["route"] == "/t/<slug>/members" and first["method"] == "GET" and first["status"] == 200
    assert first["level"] == "INFO" and first["time"] and first["duration_ms"] >= 0
    assert second["request_id"] == made.headers["X-Request-ID"]


class _FakeSentry(BaseHTTPRequestHandler):
    """Accepts envelopes as Sentry's ingest does and keeps them (decompressed) for the test."""

    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_sentry():
    _FakeSentry.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/1", _FakeSentry.received
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)  # later tests run without Sentry
    server.shutdown()
    server.server_close()


def test_an_error_in_a_lab_reaches_sentry_with_its_tag_and_no_personal_data(
    environ, engine, make_tenant, make_member, login_as, fake_sentry
):
    dsn, received = fake_sentry
    app = create_app(dict(environ, SENTRY_DSN=dsn, WIJKNET_RELEASE="wijknet@test-1"), engine=engine)
    tenant = make_tenant(modules=("board",))
    user_id = make_member(tenant, "member", name="Geheime Naam")
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        email = user.email
        token = create_token(session, tenant_id=tenant.id, user=user, name="sentry")[1]
    client = login_as(app.test_client(), user_id)
    cookie = client.get_cookie("session").value
    with engine.begin() as conn:  # a real fault: the lab's board table is gone
        conn.execute(text(f'DROP TABLE "{tenant.schema_name}".board_posts CASCADE'))
    page = client.get(f"/t/{tenant.slug}/board/?q={email}", headers={"X-Request-ID": "req-sentry-1"})
    api = app.test_client().get(
        f"/t/{tenant.slug}/api/v1/board/posts", headers={"Authorization": f"Bearer {token}", "Cookie": f"session={cookie}"}
    )
    assert page.status_code == 500 and api.status_code == 500 and api.json["code"] == "internal_server_error"
    sentry_sdk.flush(timeout=10)
    envelopes = b"\n".join(received).decode()
    events = [json.loads(line) for line in envelopes.splitlines() if line.startswith("{") and '"exception"' in line]
    assert len(events) == 2, envelopes[:2000]
    for event in events:
        assert event["tags"]["tenant"] == tenant.slug and event["release"] == "wijknet@test-1"
        assert "board_posts" in json.dumps(event["exception"])  # the error itself is there
    assert events[0]["tags"]["request_id"] == "req-sentry-1"
    for secret in (email, "Geheime Naam", token, cookie, email.split("@")[0] + "%40"):
        assert secret not in envelopes, secret
