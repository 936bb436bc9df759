"""Issue 16, item 5: the author hears when someone reacts, the responder when a match is
marked, the author when it is confirmed, and either side when a message arrives: in the
member's list of notices and by email (if they want it), with a one-click unsubscribe link
(RFC 8058) that works without signing in, for one lab, one member and one kind of email."""

import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import User
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Notice, NotificationPreference
from wijknet.tenants.board.notifications import change_preferences, unsubscribe_token
from wijknet.tenants.board.operations import add_message, confirm_match, create_post, mark_match, react
from wijknet.tenants.core.models import Member, TenantAuditEntry

pytestmark = pytest.mark.tenancy


def _email(engine, user_id: int) -> str:
    with Session(engine) as session:
        return session.get(User, user_id).email


def _mails(engine, to: str) -> list[dict]:
    with engine.connect() as conn:
        return [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT args FROM jobs.procrastinate_jobs WHERE task_name = 'wijknet.send_email'"
                    " AND args->>'to' = :to ORDER BY id"
                ),
                {"to": to},
            )
        ]


def _notices(engine, tenant, member_id) -> list[tuple[str, int]]:
    with tenant_unit_of_work(engine, tenant) as session:
        return [
            (n.kind, n.actor_id) for n in session.scalars(select(Notice).where(Notice.member_id == member_id).order_by(Notice.id))
        ]


def _prefs(engine, tenant, member_id):
    with tenant_unit_of_work(engine, tenant) as session:
        prefs = session.get(NotificationPreference, member_id)
        return None if prefs is None else (prefs.activity, prefs.digest, prefs.reminders)


@pytest.fixture
def conversation(engine, board_tenant, member_of, board_settings):
    """A lab with a need by `author` and a reaction by `helper`: (tenant, people, post id, reaction id)."""

    def make(**tenant_kw):
        tenant = board_tenant(**tenant_kw)
        author, helper = member_of(tenant, name="Anja Auteur"), member_of(tenant, name="Henk Helper")
        with tenant_unit_of_work(engine, tenant) as session:
            post = create_post(
                session,
                session.get(Member, author[1]),
                board_settings,
                kind="need",
                title="Wie helpt met de heg?",
                body="Onze heg is te hoog geworden.",
                categories=["groen"],
                organisation=None,
                area=None,
                valid_until=None,
            )
            reaction = react(session, post, session.get(Member, helper[1]), kind="help", message="Ik heb een heggenschaar.")
            return tenant, {"author": author, "helper": helper}, post.id, reaction.id

    return make


def test_a_reaction_reaches_the_author_in_the_list_and_by_email(engine, conversation, board_jobs):
    tenant, people, _post_id, _reaction_id = conversation()
    author, helper = people["author"], people["helper"]
    assert _notices(engine, tenant, author[1]) == [("reaction", helper[1])]
    assert _notices(engine, tenant, helper[1]) == []  # never told of your own action
    assert _mails(engine, _email(engine, author[0])) == []  # the email waits for the job
    board_jobs()
    [mail] = _mails(engine, _email(engine, author[0]))
    assert "Henk Helper" in mail["subject"] and "Wie helpt met de heg?" in mail["subject"]
    assert "Ik heb een heggenschaar." in mail["body"]
    link = mail["headers"]["List-Unsubscribe"].strip("<>")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/t/{tenant.slug}/board/unsubscribe/" in link and link in mail["body"]
    assert "Henk Helper reageerde op je bericht" in mail["body"]  # Dutch by default
    board_jobs()
    assert len(_mails(engine, _email(engine, author[0]))) == 1  # once


def test_messages_matches_and_confirmations_reach_the_other_side(engine, conversation, board_jobs):
    tenant, people, post_id, reaction_id = conversation()
    author, helper = people["author"], people["helper"]
    with tenant_unit_of_work(engine, tenant) as session:
        from wijknet.tenants.board.models import Post

        post = session.get(Post, post_id)
        add_message(session, post, reaction_id, session.get(Member, author[1]), "Fijn! Zaterdag?")
        add_message(session, post, reaction_id, session.get(Member, helper[1]), "Zaterdag is goed.")
        mark_match(session, post, session.get(Member, author[1]), reaction_id)
        confirm_match(session, post, session.get(Member, helper[1]))
        confirm_match(session, post, session.get(Member, helper[1]))  # twice: told once
    assert _notices(engine, tenant, author[1]) == [
        ("reaction", helper[1]),
        ("message", helper[1]),
        ("match_confirmed", helper[1]),
    ]
    assert _notices(engine, tenant, helper[1]) == [("message", author[1]), ("match_marked", author[1])]
    board_jobs()
    subjects = [m["subject"] for m in _mails(engine, _email(engine, helper[0]))]
    assert len(subjects) == 2 and "Anja Auteur" in subjects[0]
    assert len(_mails(engine, _email(engine, author[0]))) == 3


def test_no_activity_email_for_a_member_who_switched_it_off_and_their_own_language(
    engine, conversation, board_jobs, member_of, board_tenant, app
):
    tenant, people, post_id, reaction_id = conversation()
    author, helper = people["author"], people["helper"]
    with app.test_request_context(), tenant_unit_of_work(engine, tenant) as session:
        change_preferences(
            session,
            session.get(Member, author[1]),
            [],
            digest="off",
            categories=[],
            reminders=True,
            language="nl",
            activity=False,
        )
        change_preferences(
            session, session.get(Member, helper[1]), [], digest="off", categories=[], reminders=True, language="en"
        )
        from wijknet.tenants.board.models import Post

        post = session.get(Post, post_id)
        add_message(session, post, reaction_id, session.get(Member, author[1]), "Dank je!")
        add_message(session, post, reaction_id, session.get(Member, helper[1]), "Graag gedaan.")
    board_jobs()
    assert _mails(engine, _email(engine, author[0])) == []  # switched off: the list only
    assert [k for k, _ in _notices(engine, tenant, author[1])] == ["reaction", "message"]
    [mail] = _mails(engine, _email(engine, helper[0]))
    assert "wrote in your conversation" in mail["subject"] and "Hello Henk Helper" in mail["body"]


def test_one_click_unsubscribe_works_without_signing_in_and_stops_only_that_email(app, engine, conversation, board_jobs):
    tenant, people, _post_id, _reaction_id = conversation()
    author = people["author"]
    board_jobs()
    [mail] = _mails(engine, _email(engine, author[0]))
    path = re.sub(r"^https?://[^/]+", "", mail["headers"]["List-Unsubscribe"].strip("<>"))
    stranger = app.test_client()  # no session, no form token: as a mail program posts
    shown = stranger.get(path)
    assert shown.status_code == 200 and "Afmelden" in shown.get_data(as_text=True)
    assert _prefs(engine, tenant, author[1]) is None  # opening the link changes nothing
    answer = stranger.post(path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200 and "Gelukt" in answer.get_data(as_text=True)
    assert _prefs(engine, tenant, author[1]) == (False, "off", True)  # reminders stay on
    with tenant_unit_of_work(engine, tenant) as session:
        entry = session.scalars(
            select(TenantAuditEntry).where(TenantAuditEntry.action == "board.notifications.unsubscribed")
        ).one()
        assert entry.actor_member_id == author[1] and entry.detail == {"email": "activity"}


def test_unsubscribe_links_are_refused_when_forged_or_for_another_lab(app, engine, conversation, board_tenant, member_of):
    tenant, people, _post_id, _reaction_id = conversation()
    other = board_tenant()
    member_of(other)
    author = people["author"]
    with app.test_request_context():
        mine = unsubscribe_token(tenant.id, author[1], "activity")
        theirs = unsubscribe_token(other.id, author[1], "activity")  # same member id, other lab
    client = app.test_client()
    for path in (
        f"/t/{other.slug}/board/unsubscribe/{mine}",  # this lab's link at another lab's address
        f"/t/{tenant.slug}/board/unsubscribe/{theirs}",
        f"/t/{tenant.slug}/board/unsubscribe/{mine[:-2]}xx",  # a signature that does not match
        f"/t/{tenant.slug}/board/unsubscribe/not-a-token",
    ):
        answer = client.post(path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        assert answer.status_code == 404, path
        assert "niet geldig" in answer.get_data(as_text=True)
    assert _prefs(engine, tenant, author[1]) is None


def test_the_digest_link_stops_the_digest(app, engine, conversation):
    tenant, people, _post_id, _reaction_id = conversation()
    helper = people["helper"]
    with app.test_request_context(), tenant_unit_of_work(engine, tenant) as session:
        change_preferences(
            session, session.get(Member, helper[1]), [], digest="weekly", categories=[], reminders=True, language="nl"
        )
        token = unsubscribe_token(tenant.id, helper[1], "digest")
    assert app.test_client().post(f"/t/{tenant.slug}/board/unsubscribe/{token}").status_code == 200
    assert _prefs(engine, tenant, helper[1]) == (True, "off", True)


def test_the_notices_page_shows_a_members_own_and_marks_them_read(client, engine, conversation, login_as):
    tenant, people, _post_id, _reaction_id = conversation()
    author, helper = people["author"], people["helper"]
    login_as(client, author[0])
    board = client.get(f"/t/{tenant.slug}/board/").get_data(as_text=True)
    assert "Meldingen (1 nieuw)" in board
    page = client.get(f"/t/{tenant.slug}/board/notices").get_data(as_text=True)
    assert "Henk Helper reageerde op je bericht “Wie helpt met de heg?”." in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/t/{tenant.slug}/board/notices/read", data={"csrf_token": csrf}).status_code == 302
    assert "Meldingen (1 nieuw)" not in client.get(f"/t/{tenant.slug}/board/").get_data(as_text=True)
    login_as(client, helper[0])
    empty = client.get(f"/t/{tenant.slug}/board/notices").get_data(as_text=True)
    assert "Henk Helper reageerde" not in empty and "Nog geen meldingen" in empty


def test_the_read_mark_needs_a_form_token(client, engine, conversation, login_as):
    tenant, people, _post_id, _reaction_id = conversation()
    login_as(client, people["author"][0])
    assert client.post(f"/t/{tenant.slug}/board/notices/read").status_code == 400
    with tenant_unit_of_work(engine, tenant) as session:
        assert session.scalar(select(Notice.read_at)) is None
