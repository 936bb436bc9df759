"""Routing: path, subdomain and custom domain give the same page; hostile input never reaches SQL."""

import pytest
from sqlalchemy.orm import Session

from wijknet.platform.app import create_app
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import add_domain, set_tenant_status

pytestmark = pytest.mark.tenancy


@pytest.fixture
def hosted_app(environ, engine):
    return create_app(dict(environ, WIJKNET_BASE_DOMAIN="wijknet.test"), engine=engine)


def test_same_page_by_path_subdomain_and_custom_domain(hosted_app, make_tenant, engine):
    tenant = make_tenant(name="Buurt Noord")
    with Session(engine) as session, session.begin():
        add_domain(session, tenant.slug, "Buurt-Noord.example.NL", actor="test")
    client = hosted_app.test_client()
    by_path = client.get(f"/t/{tenant.slug}/", base_url="http://wijknet.test")
    by_host = client.get("/", base_url=f"http://{tenant.slug}.wijknet.test")
    by_custom = client.get("/", base_url="http://buurt-noord.example.nl")
    by_host_with_prefix = client.get(f"/t/{tenant.slug}/", base_url=f"http://{tenant.slug}.wijknet.test")
    by_host_with_port = client.get("/", base_url=f"http://{tenant.slug}.wijknet.test:8080")
    by_custom_with_port = client.get("/", base_url="http://buurt-noord.example.nl:8443")
    answers = (by_path, by_host, by_custom, by_host_with_prefix, by_host_with_port, by_custom_with_port)
    assert [a.status_code for a in answers] == [200] * len(answers)
    assert b"Buurt Noord" in by_path.data
    assert all(a.data == by_path.data for a in answers)


def test_base_domain_and_www_serve_the_network(hosted_app, make_tenant):
    tenant = make_tenant(name="Aaa Zichtbaar Lab")
    client = hosted_app.test_client()
    for host in ("wijknet.test", "www.wijknet.test"):
        page = client.get("/", base_url=f"http://{host}")
        assert page.status_code == 200 and b"Aaa Zichtbaar Lab" in page.data
    # Static files are global on every host.
    with client.get("/static/wijknet.css", base_url=f"http://{tenant.slug}.wijknet.test") as css:
        assert css.status_code == 200


def test_unknown_tenant_gets_404_page(client, hosted_app):
    page = client.get("/t/does-not-exist/")
    assert page.status_code == 404 and b"<html" in page.data
    assert hosted_app.test_client().get("/", base_url="http://nobody-here.wijknet.test").status_code == 404
    api = client.get("/t/does-not-exist/api/v1/anything")
    assert api.status_code == 404 and api.json["code"] == "not_found" and api.json["status"] == 404


HOSTILE_SLUGS = [
    "x'--",
    "..",
    "%2e%2e",
    "a" * 300,
    "caf%C3%A9",
    "ünï",
    "1;DROP TABLE tenants",
    "UPPER",
    "a b",
    'a"b',
    "%00",
    "www",
]


@pytest.mark.parametrize("slug", HOSTILE_SLUGS)
def test_hostile_slugs_are_404_without_sql(client, count_queries, slug):
    response = client.get(f"/t/{slug}/")
    assert response.status_code in (404, 400)
    assert count_queries.statements == []


HOSTILE_HOSTS = [
    "evil'.wijknet.test",
    "a" * 300 + ".wijknet.test",
    "ünï.wijknet.test",
    "x;drop.wijknet.test",
    "..wijknet.test",
    "a b",
    'x.wijknet.test"',
    "%00.wijknet.test",
]


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_hostile_hosts_are_400_or_404_without_sql(hosted_app, engine, count_queries, host):
    response = hosted_app.test_client().get("/", headers={"Host": host})
    assert response.status_code in (400, 404)
    assert count_queries.statements == []


def test_custom_domains_are_looked_up_once_and_cached(environ, engine, make_tenant, count_queries):
    """Known and unknown hosts alike: the second request is answered from the cache."""
    app = create_app(dict(environ, WIJKNET_BASE_DOMAIN="wijknet.test", WIJKNET_TENANT_CACHE_SECONDS="60"), engine=engine)
    tenant = make_tenant(name="Buurt Cache")
    with Session(engine) as session, session.begin():
        add_domain(session, tenant.slug, f"cache-{tenant.slug}.example.nl", actor="test")
    client = app.test_client()
    for host in ("not-a-tenant.example.org", f"cache-{tenant.slug}.example.nl"):
        count_queries.statements.clear()
        first = client.get("/", base_url=f"http://{host}")
        looked_up = [s for s in count_queries.statements if "platform.domains" in s]
        count_queries.statements.clear()
        second = client.get("/", base_url=f"http://{host}")
        assert len(looked_up) == 1 and [s for s in count_queries.statements if "platform.domains" in s] == []
        assert first.status_code == second.status_code and first.data == second.data
    assert "Buurt Cache" in second.get_data(as_text=True)


def test_suspended_tenant_is_read_only(client, make_tenant, engine):
    tenant = make_tenant(name="Stil Lab")
    assert client.post(f"/t/{tenant.slug}/").status_code == 405  # active: route is GET only
    with Session(engine) as session, session.begin():
        set_tenant_status(session, tenant.slug, "suspended", actor="test", reason="unpaid")
    page = client.get(f"/t/{tenant.slug}/")
    assert page.status_code == 200
    assert "opgeschort" in page.get_data(as_text=True)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"/t/{tenant.slug}/")
        assert response.status_code == 423
    api = client.post(f"/t/{tenant.slug}/api/v1/anything", json={})
    assert api.status_code == 423 and api.json["code"] == "locked" and api.json["status"] == 423
    with Session(engine) as session, session.begin():
        set_tenant_status(session, tenant.slug, "active", actor="test")
    assert client.post(f"/t/{tenant.slug}/").status_code == 405


def test_tenant_lookup_is_cached(environ, engine, make_tenant, count_queries):
    app = create_app(dict(environ, WIJKNET_TENANT_CACHE_SECONDS="60"), engine=engine)
    tenant = make_tenant()
    client = app.test_client()
    count_queries.statements.clear()
    client.get(f"/t/{tenant.slug}/")

    def lookups():  # the switch reads the registry in every transaction; the lookup is cached
        return [s for s in count_queries.statements if "platform.tenants" in s and "set_config" not in s]

    first = len(lookups())
    client.get(f"/t/{tenant.slug}/")
    assert len(lookups()) == first == 1


def test_a_deleted_tenant_is_404_at_once_in_every_process(environ, engine, make_tenant, make_member, login_as):
    """Security review finding 17: a process that still has the tenant in its cache (here
    for 60 s) must not serve it after another process deleted it: the switch reads the
    registry, so the next transaction knows."""
    from wijknet.platform.tenancy.provisioning import drop_tenant

    app = create_app(dict(environ, WIJKNET_TENANT_CACHE_SECONDS="60"), engine=engine)
    tenant = make_tenant(modules=("board",))
    client = login_as(app.test_client(), make_member(tenant))
    for path in ("/", "/members", "/board/"):
        assert client.get(f"/t/{tenant.slug}{path}").status_code == 200
    assert app.extensions["wijknet"].directory.by_slug(tenant.slug) is not None  # cached
    with Session(engine) as session:
        row = session.get(Tenant, tenant.id)
        session.expunge(row)
    drop_tenant(engine, row, actor="test")  # as another process would: this app's cache is not told
    for path in ("/", "/members", "/board/", "/api/v1/members"):
        assert client.get(f"/t/{tenant.slug}{path}").status_code == 404, path


def test_a_tenant_being_deleted_is_404_before_its_schema_goes(environ, engine, make_tenant):
    app = create_app(dict(environ, WIJKNET_TENANT_CACHE_SECONDS="60"), engine=engine)
    tenant = make_tenant()
    client = app.test_client()
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    with Session(engine) as session, session.begin():
        session.get(Tenant, tenant.id).status = "deleting"  # the first step of drop_tenant
    assert client.get(f"/t/{tenant.slug}/").status_code == 404


@pytest.mark.parametrize("host", ["{slug}.wijknet.test", "buurt-{slug}.example.nl"])
def test_residents_on_a_labs_own_host_can_sign_in_and_out(hosted_app, make_tenant, make_member, login_as, engine, host):
    """Security review finding 20: on `<slug>.<base domain>` and a custom domain the
    network's own pages (sign in and out, language, API docs) are served too."""
    import re

    from wijknet.platform.identity.models import TenantLoginProvider
    from wijknet.platform.identity.tenant_providers import encrypt

    tenant = make_tenant()
    host = host.format(slug=tenant.slug)
    with Session(engine) as session, session.begin():
        if not host.endswith("wijknet.test"):
            add_domain(session, tenant.slug, host, actor="test")
        session.add(
            TenantLoginProvider(
                tenant_id=tenant.id,
                label="Buurt-ID",
                issuer="https://id.buurt.example",
                client_id="c",
                client_secret_encrypted=encrypt(hosted_app.extensions["wijknet"].settings.secrets_key, "s"),
            )
        )
    client = hosted_app.test_client()
    base = f"http://{host}"
    login = client.get("/login", base_url=base)
    assert login.status_code == 200 and "Inloggen met Buurt-ID" in login.get_data(as_text=True)  # this lab's own provider
    assert client.get("/lang/en?next=/", base_url=base).status_code == 302
    assert client.get("/api/docs", base_url=base).status_code == 200
    assert client.get("/api/openapi.json", base_url=base).json["info"]["title"] == "wijknet"
    login_as(client, make_member(tenant), base_url=base)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/", base_url=base).get_data(as_text=True)).group(1)
    out = client.post("/logout", data={"csrf_token": token, "next": "/"}, base_url=base)
    assert out.status_code == 302 and out.headers["Location"] == "/"
    assert "Uitloggen" not in client.get("/", base_url=base).get_data(as_text=True)


def test_a_module_a_lab_has_not_switched_on_is_not_found_there(client, make_tenant):
    without = make_tenant(modules=())
    with_board = make_tenant(modules=("board",))
    for path, there in (("/board/", 302), ("/api/v1/board/posts", 401)):  # there: sign in first
        assert client.get(f"/t/{with_board.slug}{path}").status_code == there
        assert client.get(f"/t/{without.slug}{path}").status_code == 404


def test_a_base_domain_with_a_port_routes_its_subdomains(environ, engine, make_tenant):
    app = create_app(dict(environ, WIJKNET_BASE_DOMAIN="wijknet.test:8080"), engine=engine)
    tenant = make_tenant(name="Poort Lab")
    client = app.test_client()
    page = client.get("/", base_url=f"http://{tenant.slug}.wijknet.test:8080")
    by_path = client.get(f"/t/{tenant.slug}/", base_url="http://wijknet.test:8080")
    network = client.get("/", base_url="http://wijknet.test:8080")
    assert page.status_code == by_path.status_code == network.status_code == 200
    assert page.data == by_path.data != network.data


def test_links_inside_a_lab_name_their_own_lab_unless_another_is_asked_for(app, make_tenant):
    from flask import g, url_for

    here, other = make_tenant(), make_tenant()
    with app.test_request_context(f"/t/{here.slug}/"):
        g.tenant = here
        assert url_for("tenant_core.home") == f"/t/{here.slug}/"
        assert url_for("tenant_core.home", slug=other.slug) == f"/t/{other.slug}/"
    with app.test_request_context("/"):  # no lab in the request: the slug must be given
        assert url_for("tenant_core.home", slug=other.slug) == f"/t/{other.slug}/"
