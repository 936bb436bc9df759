"""Issue 19: a token is for one lab. Its person is a member of two labs here, and every
request is valid, so without the token-scope check every call below would succeed. Every
tenant API route of the app is called (walked from the URL map): a new route without an
example here fails the test."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import add_member, ensure_user
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Post
from wijknet.tenants.board.operations import create_post
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy

POST = {"kind": "offer", "title": "Ik snoei heggen", "body": "Met eigen schaar.", "categories": ["groen"]}
# (method, body) per route of the tenant API; {post_id} is a post of the lab in the URL.
EXAMPLES = {
    ("GET", "/t/<slug>/api/v1/members"): None,
    ("GET", "/t/<slug>/api/v1/me"): None,
    ("GET", "/t/<slug>/api/v1/board/posts"): None,
    ("POST", "/t/<slug>/api/v1/board/posts"): POST,
    ("GET", "/t/<slug>/api/v1/board/posts/<int:post_id>"): None,
    ("PUT", "/t/<slug>/api/v1/board/posts/<int:post_id>"): POST,
    ("POST", "/t/<slug>/api/v1/board/posts/<int:post_id>/close"): None,
    ("GET", "/t/<slug>/api/v1/board/posts/<int:post_id>/suggestions"): None,
    ("POST", "/t/<slug>/api/v1/board/posts/<int:post_id>/reactions"): {"kind": "help", "message": "Ik help graag."},
}


def tenant_api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/t/<slug>/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def test_every_tenant_api_route_has_an_example(app):
    missing = [route for route in tenant_api_routes(app) if route not in EXAMPLES]
    assert missing == [], f"add an example request to EXAMPLES for {missing}"


def test_a_token_of_lab_a_opens_nothing_in_lab_b_even_for_a_member_of_both(app, engine, make_tenant):
    a, b = make_tenant(modules=("board",)), make_tenant(modules=("board",))
    with Session(engine) as session, session.begin():
        person = ensure_user(session, "in-twee-labs@example.org", "Twee Labs")
        author = ensure_user(session, "auteur-b@example.org", "Auteur B")
        for lab in (a, b):
            add_member(session, session.get(Tenant, lab.id), person, "admin")
        add_member(session, session.get(Tenant, b.id), author, "member")
        token_a = create_token(session, tenant_id=a.id, user=person, name="a")[1]
        token_b = create_token(session, tenant_id=b.id, user=person, name="b")[1]
        author_id = author.id
    with tenant_unit_of_work(engine, b) as session:
        writer = session.scalars(select(Member).where(Member.user_id == author_id)).one()
        post_b = create_post(
            session,
            writer,
            {"categories": ["groen"], "posts_per_day": 100, "approval_required": False},
            kind="need",
            title="Wie snoeit mijn heg?",
            body="Hoog",
            categories=["groen"],
            organisation=None,
            area=None,
            valid_until=None,
        ).id
    client = app.test_client()
    for method, rule in sorted(tenant_api_routes(app)):
        path = rule.replace("<slug>", b.slug).replace("<int:post_id>", str(post_b))
        body = EXAMPLES[(method, rule)]
        foreign = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token_a}"})
        assert foreign.status_code == 404, (method, rule, foreign.status_code)
        assert "Wie snoeit" not in foreign.get_data(as_text=True) and "Twee Labs" not in foreign.get_data(as_text=True)
    # The same requests with B's own token do what they say (so the 404s above are the scope).
    for method, rule in sorted(tenant_api_routes(app), key=lambda r: (r[0] != "GET", "close" in r[1], r)):
        path = rule.replace("<slug>", b.slug).replace("<int:post_id>", str(post_b))
        own = client.open(path, method=method, json=EXAMPLES[(method, rule)], headers={"Authorization": f"Bearer {token_b}"})
        assert own.status_code in (200, 201, 403), (method, rule, own.status_code, own.get_data(as_text=True)[:300])
    with tenant_unit_of_work(engine, a) as session:
        assert session.scalar(select(Post.id).limit(1)) is None  # nothing landed in A either
