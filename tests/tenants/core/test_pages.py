"""A living lab's home and members pages: who may see what, and nothing across tenants."""

import pytest

from wijknet.platform.app import create_app

pytestmark = pytest.mark.tenancy


def test_members_page_asks_anonymous_visitors_to_sign_in(client, make_tenant):
    tenant = make_tenant()
    response = client.get(f"/t/{tenant.slug}/members")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next=/t/{tenant.slug}/members")


def test_member_sees_own_members_with_roles(client, make_tenant, make_member, login_as):
    tenant = make_tenant(name="Lab Leden")
    me = make_member(tenant, "member", "Mira Member")
    make_member(tenant, "admin", "Ahmed Admin")
    login_as(client, me)
    page = client.get(f"/t/{tenant.slug}/members").get_data(as_text=True)
    assert "Mira Member" in page and "Ahmed Admin" in page and "beheerder" in page and "2 leden" in page
    home = client.get(f"/t/{tenant.slug}/").get_data(as_text=True)
    assert "Je bent hier lid, als lid." in home and f"/t/{tenant.slug}/members" in home


def test_member_of_a_gets_404_on_b_by_path_and_by_host(environ, engine, make_tenant, make_member, login_as):
    a, b = make_tenant(), make_tenant(name="Lab Geheim")
    make_member(b, "admin", "Bea Geheim")
    me = make_member(a, "admin")
    app = create_app(dict(environ, WIJKNET_BASE_DOMAIN="wijknet.test"), engine=engine)
    client = login_as(app.test_client(), me, "http://wijknet.test")
    login_as(client, me, f"http://{b.slug}.wijknet.test")
    assert client.get(f"/t/{a.slug}/members", base_url="http://wijknet.test").status_code == 200
    by_path = client.get(f"/t/{b.slug}/members", base_url="http://wijknet.test")
    by_host = client.get("/members", base_url=f"http://{b.slug}.wijknet.test")
    assert by_path.status_code == by_host.status_code == 404
    assert "Bea Geheim" not in by_path.get_data(as_text=True) + by_host.get_data(as_text=True)
    assert "Je bent hier lid" not in client.get(f"/t/{b.slug}/").get_data(as_text=True)


def test_a_deleted_user_in_the_session_is_treated_as_anonymous(client, make_tenant, login_as):
    tenant = make_tenant()
    login_as(client, 987_654_321)
    assert client.get(f"/t/{tenant.slug}/members").status_code == 302


def test_role_ranks(app, make_tenant, make_member, login_as):
    from flask import g

    from wijknet.platform.identity.access import has_role
    from wijknet.platform.identity.models import User
    from wijknet.platform.tenancy.routing import platform_db

    tenant = make_tenant()
    moderator = make_member(tenant, "moderator")
    with app.test_request_context(f"/t/{tenant.slug}/"):
        g.tenant = app.extensions["wijknet"].directory.by_slug(tenant.slug)
        g.user = platform_db().get(User, moderator)
        assert has_role("member") and has_role("moderator") and not has_role("admin")


def test_query_counts_of_the_main_pages_are_pinned(client, make_tenant, make_member, login_as, count_queries):
    """Exact counts (issue 11): an N+1 or a lost cache fails here. Counted with the test
    app's tenant cache off, so the tenant and its modules are read on every request."""
    tenant = make_tenant(modules=("board",))
    for _ in range(12):
        make_member(tenant)
    login_as(client, make_member(tenant, "admin"))
    counts = {}
    for name, path in (
        ("home", f"/t/{tenant.slug}/"),
        ("members", f"/t/{tenant.slug}/members"),
        ("admin", f"/t/{tenant.slug}/admin/modules"),
        ("network", "/"),
    ):
        client.get(path)  # warm up
        count_queries.statements.clear()
        assert client.get(path).status_code == 200
        counts[name] = len(count_queries.statements)
    # home: tenant, modules, user, membership, member counts, member row (navigation);
    # members: the same lookups, member row, count, page; admin: lookups and the member row;
    # network: the user, count, page. (The switch travels with each tenant transaction's
    # BEGIN, not as a statement of its own: tests/platform/tenancy/test_round_trips.py.)
    assert counts == {"home": 6, "members": 7, "admin": 5, "network": 3}, (counts, count_queries.statements)
