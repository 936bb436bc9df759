"""Network and tenant pages, language switch, health, OpenAPI and the public directory."""

import pytest
from sqlalchemy.orm import Session

from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import add_member, ensure_user


def test_landing_page_lists_living_labs_in_dutch(client, make_tenant):
    make_tenant(name="Aa Groene Buurt", type="wijkbedrijf", region="Utrecht")
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="nl">' in html
    assert "Groene Buurt" in html and "Utrecht" in html and "Wijkbedrijf" in html
    assert "Proeftuinen" in html


def test_language_switch_to_english_and_back(client):
    switched = client.get("/lang/en?next=/")
    assert switched.status_code == 302 and switched.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Living labs in the network" in html
    client.get("/lang/nl")
    assert '<html lang="nl">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_language_switch_redirects_only_to_local_paths(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_tenant_home_shows_its_own_members_and_modules(client, make_tenant, engine):
    a = make_tenant(name="Lab Alfa", modules=("board", "assets"))
    b = make_tenant(name="Lab Beta", modules=("contracts",))
    with Session(engine) as session, session.begin():
        add_member(session, session.get(Tenant, a.id), ensure_user(session, f"admin@{a.slug}.example", "Alfa Admin"), "admin")
    page_a = client.get(f"/t/{a.slug}/").get_data(as_text=True)
    page_b = client.get(f"/t/{b.slug}/").get_data(as_text=True)
    assert "Lab Alfa" in page_a and "1 lid" in page_a and "Businessbakkerij" in page_a
    assert "Lab Beta" in page_b and "Nog niemand" in page_b and "Wijkbedrijf-contracten" in page_b
    assert "Lab Alfa" not in page_b


def test_empty_network_has_an_empty_state(environ, engine):
    from wijknet.platform.app import create_app

    app = create_app(environ, engine=engine)
    with app.test_request_context("/"):
        html = app.jinja_env.get_template("network/index.html").render(labs=[], total=0, page=1, pages=1)
    assert "wijknet tenants create" in html


def test_landing_page_paginates(client, make_tenant):
    for _ in range(25):
        make_tenant()
    first = client.get("/").get_data(as_text=True)
    assert 'rel="next"' in first and "Pagina 1 van" in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Pagina 2 van" in second and 'rel="prev"' in second
    assert client.get("/?page=abc").get_data(as_text=True).count('class="card"') == first.count('class="card"')
    last = client.get("/?page=9999")
    assert last.status_code == 302 and "page=" in last.headers["Location"]
    assert client.get("/?page=99999999999").status_code == 200


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ok"}


def test_readiness_fails_when_database_is_missing(environ):
    from wijknet.platform.app import create_app
    from wijknet.platform.db import make_engine

    bad = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    app = create_app(environ, engine=bad)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["status"] == "unavailable"
    bad.dispose()


def test_openapi_and_docs_are_served_by_us(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200 and "/api/v1/tenants" in spec.json["paths"]
    docs = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200


def test_directory_api_shows_public_fields_only(client, make_tenant):
    tenant = make_tenant(name="Publiek Lab", region="Zwolle", type="cooperative")
    found, page = [], 1
    while not found:  # the test database holds many labs: walk the pages
        response = client.get("/api/v1/tenants", query_string={"page_size": 100, "page": page})
        assert response.status_code == 200 and response.json, f"{tenant.slug} not listed"
        found, page = [item for item in response.json if item["slug"] == tenant.slug], page + 1
    entry = found[0]
    assert entry == {"slug": tenant.slug, "name": "Publiek Lab", "type": "cooperative", "region": "Zwolle"}
    assert "X-Pagination" in response.headers


def test_directory_api_bad_pagination_is_a_clear_4xx(client):
    response = client.get("/api/v1/tenants", query_string={"page": "zero"})
    assert response.status_code == 422
    assert response.json["code"] == "validation" and response.json["status"] == 422 and "errors" in response.json


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin" and response.headers["X-Frame-Options"] == "DENY"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'" and policy["script-src"] == "'self'"  # no inline script
    assert "Strict-Transport-Security" not in response.headers  # only in production (https)
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "'unsafe-inline'" in docs.headers["Content-Security-Policy"]


def test_no_template_has_inline_script():
    """Scripts are files (the policy refuses inline ones): a template that adds one fails here."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    offenders = []
    for template in [*root.glob("platform/templates/**/*.html"), *root.glob("tenants/*/templates/**/*.html")]:
        html = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" not in tag:
                offenders.append(f"{template.relative_to(root)}: {tag}")
        if re.search(r"\son[a-z]+=", html):
            offenders.append(f"{template.relative_to(root)}: an on...= handler")
    assert offenders == []


def test_hsts_in_production(environ, engine):
    from wijknet.platform.app import create_app

    production = dict(
        environ,
        WIJKNET_ENV="production",
        SECRET_KEY="x" * 40,
        WIJKNET_SECRETS_KEY="Ym9ndXMta2V5LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY=",
        WIJKNET_MAIL_URL="smtp://127.0.0.1:1",
        WIJKNET_PUBLIC_URL="https://wijknet.example",
    )
    app = create_app(production, engine=engine)
    answer = app.test_client().get("/", base_url="https://wijknet.example")
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
