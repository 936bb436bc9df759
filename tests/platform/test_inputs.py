"""Security review findings 4 and 11: bad input is a clear 4xx at the edge, never a 500, and
every redirect stays on the site."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from wijknet.platform.i18n import safe_next
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token

pytestmark = pytest.mark.tenancy
HUGE = str(2**63)  # one beyond BIGINT


@pytest.fixture
def board_lab(engine, make_tenant, make_member):
    tenant = make_tenant(modules=("board",))
    user = make_member(tenant, "admin")
    with Session(engine) as session, session.begin():
        token = create_token(session, tenant_id=tenant.id, user=session.get(User, user), name="t")[1]
    return tenant, user, {"Authorization": f"Bearer {token}"}


def test_ids_beyond_bigint_are_404_everywhere(client, board_lab, login_as):
    tenant, user, headers = board_lab
    login_as(client, user)
    for path in (
        f"/t/{tenant.slug}/board/{HUGE}",
        f"/t/{tenant.slug}/board/{HUGE}/edit",
        f"/login/tenant-{HUGE}",
        f"/t/{tenant.slug}/admin/join-requests/{HUGE}",
    ):
        assert client.get(path).status_code in (404, 405), path
    for path in (f"/posts/{HUGE}", f"/posts/{HUGE}/suggestions"):
        assert client.get(f"/t/{tenant.slug}/api/v1/board{path}", headers=headers).status_code == 404
    page = f"/t/{tenant.slug}/board/new"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(as_text=True)).group(1)
    answer = client.post(f"/t/{tenant.slug}/board/{HUGE}/match", data={"csrf_token": token, "reaction_id": HUGE})
    assert answer.status_code == 404


def test_a_huge_page_number_is_a_clear_answer(client, board_lab, login_as):
    tenant, user, headers = board_lab
    login_as(client, user)
    page = client.get(f"/t/{tenant.slug}/board/?page=99999999999999999999999")
    assert page.status_code == 200  # not a page number: the first page
    assert client.get(f"/t/{tenant.slug}/board/?page=9999").status_code == 302  # past the end: to the last
    api = client.get(f"/t/{tenant.slug}/api/v1/board/posts?page=99999999999999999999999", headers=headers)
    assert api.status_code == 422 and "page" in api.json["errors"]["query"]
    assert client.get("/?page=99999999999999").status_code in (200, 302)


@pytest.mark.parametrize("where", ["title", "body", "area", "q"])
def test_nul_characters_are_refused_at_the_edge(client, board_lab, login_as, where):
    tenant, user, headers = board_lab
    login_as(client, user)
    if where == "q":
        assert client.get(f"/t/{tenant.slug}/board/?q=a%00b").status_code == 400
        api = client.get(f"/t/{tenant.slug}/api/v1/board/posts?q=a%00b", headers=headers)
        assert api.status_code == 400 and api.json["errors"]["query"]
        return
    page = f"/t/{tenant.slug}/board/new"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(as_text=True)).group(1)
    form = {"kind": "need", "title": "Hulp", "body": "Tekst", "categories": "groen", "csrf_token": token}
    assert client.post(page, data=dict(form, **{where: "a\x00b"})).status_code == 400
    body = {"kind": "need", "title": "Hulp nodig", "body": "Tekst", "categories": ["groen"], where: "a\x00b"}
    api = client.post(f"/t/{tenant.slug}/api/v1/board/posts", json=body, headers=headers)
    assert api.status_code == 400 and "NUL" in api.json["message"]


def test_lone_surrogates_huge_numbers_and_deep_json_are_400(client, board_lab):
    tenant, _, headers = board_lab
    url = f"/t/{tenant.slug}/api/v1/board/posts"
    headers = dict(headers, **{"Content-Type": "application/json"})
    for raw in (
        '{"kind": "need", "title": "\\ud800 hulp", "body": "x", "categories": ["groen"]}',
        '{"kind": "need", "title": "hulp", "body": "x", "categories": ["groen"], "x": 99999999999999999999}',
        '{"title": NaN}',
        "[" * 50_000 + "]" * 50_000,
        '{"title": ',
    ):
        answer = client.post(url, data=raw, headers=headers)
        assert answer.status_code == 400 and answer.json["code"] == "bad_request" and answer.json["status"] == 400, raw[:60]


@pytest.mark.parametrize(
    "raw",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "%0d%0a/x",
        "/%5cevil.example",
        "//evil.example",
        "https://evil.example",
        "%20//evil.example",
        "/%0d/evil.example",
        "/%1f/evil.example",
        "/%c2%85/evil.example",
        "%2f%2fevil.example",
    ],
)
def test_redirect_targets_with_control_characters_stay_on_the_site(client, raw):
    """The query exactly as an attacker writes it (percent-escapes decoded by the server).
    Login and logout use the same safe_next: tests/platform/identity/test_login.py."""
    answer = client.get("/lang/en?next=" + raw)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_a_nul_in_a_redirect_target_is_refused_at_the_edge(client):
    assert client.get("/lang/en?next=/%00/evil.example").status_code == 400


def _browser_target(location: str) -> str:
    """Where a browser goes for this Location: it drops TAB, CR, LF and reads '\\' as '/'."""
    cleaned = re.sub(r"[\t\r\n]", "", location.strip("\x00 \x1f")).replace("\\", "/")
    return urlsplit(urljoin("https://wijknet.test/here", cleaned)).netloc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=40),
        st.builds(lambda a, b: a + b, st.sampled_from(["/", "//", "/\\", "/\t/", " /", "\\\\"]), st.text(max_size=30)),
    )
)
def test_safe_next_only_ever_gives_a_local_path(target):
    result = safe_next(target)
    assert result == "/" or (result.startswith("/") and not result.startswith("//") and "\\" not in result)
    assert _browser_target(result) == "wijknet.test"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=30),
        st.builds(lambda a, b: a + b, st.sampled_from(["/", "//", "/\\", "/\t/", "\\\\"]), st.text(max_size=20)),
    )
)
def test_every_redirect_location_is_local(client, target):
    """Over arbitrary strings, through the real views: the Location is a local path or '/'."""
    if "\x00" in target or any(0xD800 <= ord(c) <= 0xDFFF for c in target):
        return  # refused at the edge (400), tested above
    for answer in (client.get("/lang/nl", query_string={"next": target}),):
        assert answer.status_code == 302, (target, answer.status_code)
        assert _browser_target(answer.headers["Location"]) == "wijknet.test", answer.headers["Location"]


def test_api_errors_have_a_stable_code_and_follow_accept_language(client, board_lab):
    """Issue 11: one error answer everywhere: {code (stable), status, message, errors}; the
    message in the language the client asks for."""
    tenant, _, headers = board_lab
    url = f"/t/{tenant.slug}/api/v1/board/posts/{2**40}"
    dutch = client.get(url, headers=headers)
    assert dutch.json == {
        "code": "board.post_not_found",
        "status": 404,
        "message": "Dit bericht bestaat niet (meer).",
        "errors": {},
    }
    made = client.post(
        f"/t/{tenant.slug}/api/v1/board/posts",
        headers=headers,
        json={"kind": "need", "title": "Hulp gezocht", "body": "Tekst", "categories": ["groen"]},
    ).json
    client.post(f"/t/{tenant.slug}/api/v1/board/posts/{made['id']}/close", headers=headers)
    for language, text in (("nl", "Dit bericht is al gesloten."), ("en", "This post is already closed.")):
        again = client.post(
            f"/t/{tenant.slug}/api/v1/board/posts/{made['id']}/close", headers=dict(headers, **{"Accept-Language": language})
        )
        assert again.status_code == 409
        assert again.json == {"code": "board.post_closed", "status": 409, "message": text, "errors": {}}


def test_every_domain_error_is_raised_with_a_stable_code():
    """A static check over the source: each `raise SomethingError(...)` of the domain passes
    code="area.reason" (a code per kind of error, not per module)."""
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    domain = {
        "DomainError",
        "TokenError",
        "ProviderError",
        "JoinError",
        "LoginRefused",
        "ProvisioningError",
        "TenantActionError",
        "MailError",
        "BoardError",
    }
    missing = []
    for path in [*root.glob("platform/**/*.py"), *root.glob("tenants/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.attr if isinstance(func, ast.Attribute) and func.attr != "on_field" else getattr(func, "id", None)
                if isinstance(func, ast.Attribute) and func.attr == "on_field":
                    name = getattr(func.value, "id", None)
                if name in domain:
                    code = next((k.value for k in node.exc.keywords if k.arg == "code"), None)
                    passed_on = isinstance(code, ast.Name)  # a helper that raises the code its caller gives
                    if not passed_on and not (
                        isinstance(code, ast.Constant) and re.fullmatch(r"[a-z_]+\.[a-z_]+", code.value or "")
                    ):
                        missing.append(f"{path.relative_to(root)}:{node.lineno}")
    assert missing == [], f"raise these with code='area.reason': {missing}"
