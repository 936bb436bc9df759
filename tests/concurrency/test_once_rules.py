"""Every "once" rule holds when the same request arrives many times at the same moment
(security review findings 2 and 16): threads against the app and a real PostgreSQL."""

import re
import secrets

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.identity.joining import create_invitation, set_join_policy
from wijknet.platform.identity.models import JoinRequest, Membership, User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.models import ModuleSetting, Tenant
from wijknet.platform.tenancy.operations import ensure_user
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Match, Post, Reaction
from wijknet.tenants.board.operations import create_post, mark_match, react
from wijknet.tenants.core.models import Member, TenantAuditEntry

from .harness import at_once

pytestmark = pytest.mark.tenancy
N = 8  # threads per round (two pooled connections each: within the test engine's pool)
ROUNDS = 3  # a race that is lost once in a while must still be caught

FORM = {
    "kind": "need",
    "title": "Wie helpt met snoeien?",
    "body": "Mijn heg is te hoog.",
    "categories": "groen",
    "area": "",
    "organisation": "",
    "valid_until": "",
}


def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _clients(app, login_as, user_id, n=N):
    return [login_as(app.test_client(), user_id) for _ in range(n)]


def _person(engine, name="Buur"):
    with Session(engine) as session, session.begin():
        return ensure_user(session, f"{name.lower()}-{secrets.token_hex(4)}@example.org", name).id


def _member_id(engine, tenant, user_id):
    with tenant_unit_of_work(engine, tenant) as session:
        return session.scalar(select(Member.id).where(Member.user_id == user_id))


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_an_invitation_is_accepted_once(app, engine, make_tenant, make_member, login_as, round_):
    tenant = make_tenant()
    admin = make_member(tenant, "admin")
    with Session(engine) as session, session.begin():
        _, token = create_invitation(
            session, session.get(Tenant, tenant.id), session.get(User, admin), email="wie@example.org", role="admin"
        )
    clients = [login_as(app.test_client(), _person(engine)) for _ in range(N)]
    path = f"/t/{tenant.slug}/invitation/{token}"
    tokens = [_csrf(client, path) for client in clients]
    statuses = at_once(N, lambda i: clients[i].post(path, data={"csrf_token": tokens[i]}).status_code)
    assert sorted(statuses) == [302] + [410] * (N - 1)
    with Session(engine) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Membership).where(Membership.tenant_id == tenant.id, Membership.role == "admin")
            )
            == 2
        )


@pytest.mark.parametrize("policy", ["open", "approval"])
def test_a_double_submitted_join_makes_one_membership_or_request(app, engine, make_tenant, login_as, policy):
    tenant = make_tenant()
    with Session(engine) as session, session.begin():
        set_join_policy(session, session.get(Tenant, tenant.id), policy, actor="test")
    user = _person(engine)
    clients = _clients(app, login_as, user)
    path = f"/t/{tenant.slug}/join"
    tokens = [_csrf(client, path) for client in clients]
    statuses = at_once(N, lambda i: clients[i].post(path, data={"csrf_token": tokens[i]}).status_code)
    assert statuses == [200] * N
    with Session(engine) as session:
        table = Membership if policy == "open" else JoinRequest
        assert (
            session.scalar(select(func.count()).select_from(table).where(table.tenant_id == tenant.id, table.user_id == user))
            == 1
        )


def _post_with_reaction(engine, tenant, make_member):
    author, responder = make_member(tenant, name="Auteur"), make_member(tenant, name="Helper")
    settings = {"categories": ["groen"], "posts_per_day": 100, "approval_required": False}
    with tenant_unit_of_work(engine, tenant) as session:
        author_row = session.scalars(select(Member).where(Member.user_id == author)).one()
        responder_row = session.scalars(select(Member).where(Member.user_id == responder)).one()
        post = create_post(
            session,
            author_row,
            settings,
            kind="need",
            title="Snoeien",
            body="Heg",
            categories=["groen"],
            organisation=None,
            area=None,
            valid_until=None,
        )
        reaction = react(session, post, responder_row, kind="help", message="Ik kom")
        return author, responder, post.id, reaction.id


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_match_is_confirmed_once(app, engine, make_tenant, make_member, login_as, round_):
    tenant = make_tenant(modules=("board",))
    author, responder, post_id, reaction_id = _post_with_reaction(engine, tenant, make_member)
    with tenant_unit_of_work(engine, tenant) as session:
        mark_match(
            session,
            session.get(Post, post_id),
            session.scalars(select(Member).where(Member.user_id == author)).one(),
            reaction_id,
        )
    clients = _clients(app, login_as, responder)
    page = f"/t/{tenant.slug}/board/{post_id}"
    tokens = [_csrf(client, page) for client in clients]
    statuses = at_once(N, lambda i: clients[i].post(f"{page}/confirm", data={"csrf_token": tokens[i]}).status_code)
    assert statuses == [302] * N
    with tenant_unit_of_work(engine, tenant) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(TenantAuditEntry).where(TenantAuditEntry.action == "board.match.confirmed")
            )
            == 1
        )


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_post_is_matched_once(app, engine, make_tenant, make_member, login_as, round_):
    tenant = make_tenant(modules=("board",))
    author, _responder, post_id, reaction_id = _post_with_reaction(engine, tenant, make_member)
    clients = _clients(app, login_as, author)
    page = f"/t/{tenant.slug}/board/{post_id}"
    tokens = [_csrf(client, page) for client in clients]
    statuses = at_once(
        N, lambda i: clients[i].post(f"{page}/match", data={"csrf_token": tokens[i], "reaction_id": str(reaction_id)}).status_code
    )
    assert sorted(statuses) == [302] + [409] * (N - 1)
    with tenant_unit_of_work(engine, tenant) as session:
        assert session.scalar(select(func.count()).select_from(Match)) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_daily_posting_limit_holds_in_parallel(app, engine, make_tenant, make_member, login_as, round_):
    tenant = make_tenant(modules=("board",))
    with Session(engine) as session, session.begin():
        row = session.get(ModuleSetting, (tenant.id, "board"))
        row.settings = dict(row.settings, posts_per_day=5)
    user = make_member(tenant)
    clients = _clients(app, login_as, user)
    path = f"/t/{tenant.slug}/board/new"
    tokens = [_csrf(client, path) for client in clients]
    statuses = at_once(N, lambda i: clients[i].post(path, data=dict(FORM, title=f"Vraag {i}", csrf_token=tokens[i])).status_code)
    assert sorted(statuses) == [302] * 5 + [429] * (N - 5)
    with tenant_unit_of_work(engine, tenant) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 5


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_double_submitted_form_makes_one_post(app, engine, make_tenant, make_member, login_as, round_):
    tenant = make_tenant(modules=("board",))
    user = make_member(tenant)
    clients = _clients(app, login_as, user)
    path = f"/t/{tenant.slug}/board/new"
    tokens = [_csrf(client, path) for client in clients]
    key = secrets.token_urlsafe(16)
    answers = at_once(N, lambda i: clients[i].post(path, data=dict(FORM, csrf_token=tokens[i], request_key=key)))
    assert {a.status_code for a in answers} == {302} and len({a.headers["Location"] for a in answers}) == 1
    with tenant_unit_of_work(engine, tenant) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 1


def test_an_api_call_retried_with_its_idempotency_key_makes_one_post(app, engine, make_tenant, make_member):
    tenant = make_tenant(modules=("board",))
    user = make_member(tenant)
    with Session(engine) as session, session.begin():
        token = create_token(session, tenant_id=tenant.id, user=session.get(User, user), name="t")[1]
    key = secrets.token_urlsafe(16)
    body = {"kind": "offer", "title": "Ik snoei heggen", "body": "Met eigen schaar.", "categories": ["groen"]}
    answers = at_once(
        N,
        lambda i: app.test_client().post(
            f"/t/{tenant.slug}/api/v1/board/posts",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        ),
    )
    assert {a.status_code for a in answers} == {201} and len({a.json["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == N - 1
    other = app.test_client().post(
        f"/t/{tenant.slug}/api/v1/board/posts",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_urlsafe(16)},
    )
    assert other.status_code == 201 and other.json["id"] != answers[0].json["id"]
    with tenant_unit_of_work(engine, tenant) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 2
        assert session.scalar(select(func.count()).select_from(Reaction)) == 0
