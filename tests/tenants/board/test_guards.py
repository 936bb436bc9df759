"""Authorization rules of the board that a mutation test found unguarded (issue 19), and
messages that could reach a hidden post through another post's address (security review 15)."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Post, ThreadMessage
from wijknet.tenants.board.operations import POSTING_WINDOW, create_post, hide_post, react
from wijknet.tenants.board.schemas import BoardError
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy
GOOD = dict(
    kind="need",
    title="Hulp bij snoeien",
    body="Mijn heg is te hoog.",
    categories=["groen"],
    organisation=None,
    area=None,
    valid_until=None,
)


def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def conversation(engine, board_tenant, member_of, board_settings):
    """A post by the author, a reaction with a private first message by the responder, and a
    bystander (a member of the same lab) and a moderator."""
    tenant = board_tenant()
    people = {
        role: member_of(tenant, name=name)
        for role, name in (("author", "Auteur"), ("responder", "Helper"), ("bystander", "Omstander"))
    }
    people["moderator"] = member_of(tenant, "moderator", name="Moderator")
    with tenant_unit_of_work(engine, tenant) as session:
        author = session.get(Member, people["author"][1])
        post = create_post(session, author, board_settings, **GOOD)
        other = create_post(
            session, session.get(Member, people["bystander"][1]), board_settings, **dict(GOOD, title="Andere vraag")
        )
        reaction = react(
            session, post, session.get(Member, people["responder"][1]), kind="help", message="Geheim: ik woon op nummer 12"
        )
        ids = {"post": post.id, "other": other.id, "reaction": reaction.id}
    return tenant, {role: user for role, (user, _member) in people.items()}, ids


def _messages(engine, tenant):
    with tenant_unit_of_work(engine, tenant) as session:
        return session.scalar(select(func.count()).select_from(ThreadMessage))


def test_only_the_two_sides_write_in_a_conversation(client, engine, conversation, login_as):
    tenant, users, ids = conversation
    before = _messages(engine, tenant)
    bystander = login_as(client, users["bystander"])
    page = f"/t/{tenant.slug}/board/{ids['post']}"
    answer = bystander.post(
        f"{page}/messages/{ids['reaction']}", data={"csrf_token": _csrf(bystander, page), "message": "Ik lees mee"}
    )
    assert answer.status_code == 404 and _messages(engine, tenant) == before
    for side in ("author", "responder"):
        writer = login_as(client.application.test_client(), users[side])
        done = writer.post(
            f"{page}/messages/{ids['reaction']}", data={"csrf_token": _csrf(writer, page), "message": f"Van {side}"}
        )
        assert done.status_code == 302
    assert _messages(engine, tenant) == before + 2


def test_a_conversation_is_seen_by_its_two_sides_only(client, conversation, login_as):
    tenant, users, ids = conversation
    page = f"/t/{tenant.slug}/board/{ids['post']}"
    assert "Geheim: ik woon op nummer 12" not in login_as(client, users["bystander"]).get(page).get_data(as_text=True)
    for side in ("author", "responder"):
        html = login_as(client.application.test_client(), users[side]).get(page).get_data(as_text=True)
        assert "Geheim: ik woon op nummer 12" in html, side


def test_messages_reach_a_conversation_only_through_its_own_post(client, engine, conversation, login_as):
    """Not through another (visible) post's address, and not at all once the post is hidden."""
    tenant, users, ids = conversation
    responder = login_as(client, users["responder"])
    other = f"/t/{tenant.slug}/board/{ids['other']}"
    before = _messages(engine, tenant)
    answer = responder.post(
        f"{other}/messages/{ids['reaction']}", data={"csrf_token": _csrf(responder, other), "message": "Via omweg"}
    )
    assert answer.status_code == 404 and _messages(engine, tenant) == before
    with tenant_unit_of_work(engine, tenant) as session:
        moderator = session.scalars(select(Member).where(Member.user_id == users["moderator"])).one()
        hide_post(session, session.get(Post, ids["post"]), moderator, "Persoonsgegevens")
    for side in ("author", "responder"):
        writer = login_as(client.application.test_client(), users[side])
        for page in (f"/t/{tenant.slug}/board/{ids['post']}", other):
            answer = writer.post(
                f"{page}/messages/{ids['reaction']}", data={"csrf_token": _csrf(writer, other), "message": "Nog even"}
            )
            assert answer.status_code in (404, 409), (side, page, answer.status_code)
    assert _messages(engine, tenant) == before


def test_an_author_does_not_see_their_own_post_once_a_moderator_hid_it(client, engine, conversation, login_as):
    tenant, users, ids = conversation
    page = f"/t/{tenant.slug}/board/{ids['post']}"
    author = login_as(client, users["author"])
    assert author.get(page).status_code == 200
    with tenant_unit_of_work(engine, tenant) as session:
        moderator = session.scalars(select(Member).where(Member.user_id == users["moderator"])).one()
        hide_post(session, session.get(Post, ids["post"]), moderator, "Persoonsgegevens")
    assert author.get(page).status_code == 404
    assert login_as(client.application.test_client(), users["moderator"]).get(page).status_code == 200
    mine = author.get(f"/t/{tenant.slug}/board/mine").get_data(as_text=True)
    assert "Persoonsgegevens" in mine  # the author learns why, on their own list


def test_the_posting_limit_counts_exactly_the_last_24_hours(engine, board_tenant, member_of, board_settings):
    assert POSTING_WINDOW == timedelta(days=1)
    tenant = board_tenant()
    _, author_id = member_of(tenant)
    settings = dict(board_settings, posts_per_day=2)
    now = datetime.now(timezone.utc)
    with tenant_unit_of_work(engine, tenant) as session:
        author = session.get(Member, author_id)
        first, second = create_post(session, author, settings, **GOOD), create_post(session, author, settings, **GOOD)
        first.created_at = now - timedelta(hours=23, minutes=50)  # still within the window
        second.created_at = now - timedelta(hours=24, minutes=10)  # just outside it
        session.flush()
        create_post(session, author, settings, **GOOD)  # 2 in the window now
        with pytest.raises(BoardError) as refused:
            create_post(session, author, settings, **GOOD)
        assert refused.value.status == 429


def test_a_pending_post_is_seen_by_its_author_and_moderators_only(client, engine, conversation, login_as, board_settings):
    tenant, people, _ids = conversation
    with tenant_unit_of_work(engine, tenant) as session:
        author = session.scalars(select(Member).where(Member.display_name == "Auteur")).one()
        pending = create_post(
            session, author, dict(board_settings, approval_required=True), **dict(GOOD, title="Wacht op goedkeuring")
        )
        assert pending.status == "pending"
        path = f"/t/{tenant.slug}/board/{pending.id}"
    for role, status in (("author", 200), ("moderator", 200), ("bystander", 404), ("responder", 404)):
        login_as(client, people[role])
        answer = client.get(path)
        assert answer.status_code == status, role
        assert ("Wacht op goedkeuring" in answer.get_data(as_text=True)) == (status == 200), role


def test_reading_a_post_takes_no_lock_so_a_read_only_lab_still_shows_it(client, engine, conversation, login_as):
    """A suspended lab's transactions are read-only: reading must not ask for row locks."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from wijknet.platform.tenancy.models import Tenant

    tenant, people, ids = conversation
    with Session(engine) as session, session.begin():
        session.execute(update(Tenant).where(Tenant.id == tenant.id).values(status="suspended"))
    login_as(client, people["bystander"])
    answer = client.get(f"/t/{tenant.slug}/board/{ids['post']}")
    assert answer.status_code == 200 and "Hulp bij snoeien" in answer.get_data(as_text=True)
