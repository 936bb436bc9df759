"""Board email: reminders before a post ends, members' digests of new posts in the
categories they follow, their preferences page, and the worker's hourly job."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import User
from wijknet.platform.jobs import defer_in
from wijknet.platform.mail.models import DevOutboxMessage
from wijknet.platform.tenancy.models import ModuleSetting
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import NotificationPreference, Post
from wijknet.tenants.board.notifications import DIGEST_MAX_POSTS, change_preferences
from wijknet.tenants.board.operations import approve_post, create_post, hide_post, update_post
from wijknet.tenants.board.tasks import notify_all, run_for_tenant
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.time import tenant_today

pytestmark = pytest.mark.tenancy

NOW = datetime.now(timezone.utc)


def _email(engine, user_id: int) -> str:
    with Session(engine) as session:
        return session.get(User, user_id).email


def _mails(engine, to: str) -> list[dict]:
    """The send_email jobs queued for `to` (subject, body), oldest first."""
    with engine.connect() as conn:
        return [
            row._mapping["args"]
            for row in conn.execute(
                text(
                    "SELECT args FROM jobs.procrastinate_jobs WHERE task_name = 'wijknet.send_email' AND args->>'to' = :to ORDER BY id"
                ),
                {"to": to},
            )
        ]


def _post(engine, tenant, author_id, settings, *, title, categories=("groen",), until_days=30, age_days=2, **kw):
    """A post by member `author_id`, placed `age_days` ago, ending in `until_days`."""
    with tenant_unit_of_work(engine, tenant) as session:
        author = session.get(Member, author_id)
        post = create_post(
            session,
            author,
            settings,
            kind=kw.pop("kind", "need"),
            title=title,
            body=kw.pop("body", "Graag hulp in de buurt, het is niet veel werk."),
            categories=list(categories),
            valid_until=tenant_today() + timedelta(days=30),
            organisation=kw.pop("organisation", None),
            area=kw.pop("area", None),
        )
        session.flush()
        moment = NOW - timedelta(days=age_days)
        post.created_at = moment
        post.published_at = moment if post.status == "open" else None
        post.valid_until = tenant_today() + timedelta(days=until_days)
        return post.id


def _follow(
    engine, tenant, member_id, settings, *, digest="weekly", categories=("groen",), since_days=8, language="nl", reminders=True
):
    with tenant_unit_of_work(engine, tenant) as session:
        prefs = change_preferences(
            session,
            session.get(Member, member_id),
            settings["categories"],
            digest=digest,
            categories=list(categories),
            reminders=reminders,
            language=language,
        )
        prefs.digest_since = NOW - timedelta(days=since_days)


# --- reminders --------------------------------------------------------------------------
def test_the_author_is_reminded_once_before_a_post_ends(engine, app, board_tenant, member_of, board_settings):
    tenant = board_tenant()
    user_id, author = member_of(tenant, name="Gerda Jansen")
    soon = _post(engine, tenant, author, board_settings, title="Wie wil mijn heg snoeien?", until_days=2)
    _post(engine, tenant, author, board_settings, title="Later nog een vraag", until_days=10)
    _post(engine, tenant, author, board_settings, title="Net geplaatst, kort geldig", until_days=2, age_days=0)
    to = _email(engine, user_id)

    first = run_for_tenant(engine, app, tenant.id)

    assert first.reminders == 1
    [mail] = _mails(engine, to)
    assert "Wie wil mijn heg snoeien?" in mail["subject"] and "Je bericht" in mail["subject"]
    assert "Hallo Gerda Jansen" in mail["body"]
    assert f"http://127.0.0.1:8000/t/{tenant.slug}/board/{soon}/edit" in mail["body"]
    assert f"http://127.0.0.1:8000/t/{tenant.slug}/board/notifications" in mail["body"]
    assert run_for_tenant(engine, app, tenant.id).reminders == 0  # once
    assert len(_mails(engine, to)) == 1


def test_a_new_date_earns_a_new_reminder_and_closed_hidden_or_unwanted_get_none(
    engine, app, board_tenant, member_of, board_settings
):
    tenant = board_tenant()
    user_id, author = member_of(tenant)
    _, moderator = member_of(tenant, "moderator")
    moved = _post(engine, tenant, author, board_settings, title="Snoeien voor het weekend", until_days=1)
    hidden = _post(engine, tenant, author, board_settings, title="Verborgen bericht hier", until_days=1)
    closed = _post(engine, tenant, author, board_settings, title="Gesloten bericht hier", until_days=1)
    with tenant_unit_of_work(engine, tenant) as session:
        hide_post(session, session.get(Post, hidden), session.get(Member, moderator), "Geen buurtbericht")
        session.get(Post, closed).status = "closed"
    to = _email(engine, user_id)
    assert run_for_tenant(engine, app, tenant.id).reminders == 1
    with tenant_unit_of_work(engine, tenant) as session:
        post = session.get(Post, moved)
        update_post(
            session,
            post,
            session.get(Member, author),
            board_settings,
            kind="need",
            title=post.title,
            body=post.body,
            categories=post.categories,
            organisation=None,
            area=None,
            valid_until=(tenant_today() + timedelta(days=2)).isoformat(),
        )
        assert post.reminded_at is None
    assert run_for_tenant(engine, app, tenant.id).reminders == 1
    assert [m["subject"].count("Snoeien voor het weekend") for m in _mails(engine, to)] == [1, 1]

    _follow(engine, tenant, author, board_settings, digest="off", reminders=False)
    _post(engine, tenant, author, board_settings, title="Nog een vraag die bijna afloopt", until_days=1)
    assert run_for_tenant(engine, app, tenant.id).reminders == 0


def test_the_reminder_window_is_the_board_setting(engine, app, board_tenant, member_of, board_settings):
    tenant = board_tenant()
    _, author = member_of(tenant)
    _post(engine, tenant, author, board_settings, title="Over een week klaar", until_days=7)
    assert run_for_tenant(engine, app, tenant.id).reminders == 0
    with Session(engine) as session, session.begin():
        row = session.get(ModuleSetting, (tenant.id, "board"))
        row.settings = dict(row.settings, reminder_days=7)
    assert run_for_tenant(engine, app, tenant.id).reminders == 1


# --- digests ----------------------------------------------------------------------------
def test_a_weekly_digest_holds_the_new_posts_in_the_followed_categories(engine, app, board_tenant, member_of, board_settings):
    tenant = board_tenant(name="Buurtlab Oost")
    reader_user, reader = member_of(tenant, name="Ricardo")
    _, other = member_of(tenant)
    _, moderator = member_of(tenant, "moderator")
    _follow(engine, tenant, reader, board_settings, categories=("groen", "voedsel"))
    _post(engine, tenant, other, board_settings, title="Wie snoeit mijn appelboom?", age_days=2)
    _post(engine, tenant, other, board_settings, kind="offer", title="Verse soep voor buren", categories=("voedsel",), age_days=1)
    _post(engine, tenant, other, board_settings, title="Klus: kast ophangen", categories=("klussen",), age_days=1)
    _post(engine, tenant, reader, board_settings, title="Mijn eigen tuinvraag", age_days=1)
    _post(engine, tenant, other, board_settings, title="Van voor de vorige keer", age_days=9)
    hidden = _post(engine, tenant, other, board_settings, title="Verborgen tuinbericht", age_days=1)
    with tenant_unit_of_work(engine, tenant) as session:
        hide_post(session, session.get(Post, hidden), session.get(Member, moderator), "Reclame")
    pending = _post(
        engine, tenant, other, dict(board_settings, approval_required=True), title="Wacht nog op goedkeuring", age_days=1
    )

    assert run_for_tenant(engine, app, tenant.id).digests == 1

    [mail] = _mails(engine, _email(engine, reader_user))
    assert mail["subject"] == "2 nieuwe berichten op het prikbord van Buurtlab Oost"
    body = mail["body"]
    assert "Wie snoeit mijn appelboom?" in body and "Verse soep voor buren" in body and "Aanbod: Verse soep" in body
    for absent in ("kast ophangen", "Mijn eigen tuinvraag", "Van voor de vorige keer", "Verborgen tuinbericht", "Wacht nog"):
        assert absent not in body
    assert body.index("Verse soep") < body.index("appelboom")  # newest first
    assert run_for_tenant(engine, app, tenant.id).digests == 0  # the next one is a week later

    # A post approved after the digest counts as new from its approval, not its creation.
    with tenant_unit_of_work(engine, tenant) as session:
        approve_post(session, session.get(Post, pending), session.get(Member, moderator))
        session.get(NotificationPreference, reader).digest_since -= timedelta(days=7)
    assert run_for_tenant(engine, app, tenant.id).digests == 1
    assert "Wacht nog op goedkeuring" in _mails(engine, _email(engine, reader_user))[-1]["body"]


def test_digest_frequency_language_all_categories_and_nothing_new(engine, app, board_tenant, member_of, board_settings):
    tenant = board_tenant(name="Lab West")
    daily_user, daily = member_of(tenant)
    quiet_user, quiet = member_of(tenant)
    early_user, early = member_of(tenant)
    _, author = member_of(tenant)
    _follow(engine, tenant, daily, board_settings, digest="daily", categories=(), since_days=1, language="en")
    _follow(engine, tenant, quiet, board_settings, categories=("energie",))
    _follow(engine, tenant, early, board_settings, digest="daily", since_days=0)
    _post(engine, tenant, author, board_settings, title="Hulp bij de zonnepanelen", categories=("klussen",), age_days=0)

    assert run_for_tenant(engine, app, tenant.id).digests == 1
    [mail] = _mails(engine, _email(engine, daily_user))
    assert mail["subject"] == "A new post on the board of Lab West"
    assert "New on the board of Lab West since yesterday" in mail["body"]
    assert _mails(engine, _email(engine, quiet_user)) == []  # nothing new in energie: no email
    assert _mails(engine, _email(engine, early_user)) == []  # not due yet
    with tenant_unit_of_work(engine, tenant) as session:
        since = session.get(NotificationPreference, quiet).digest_since
    assert since > NOW - timedelta(minutes=5)  # the window moved on all the same


def test_a_long_digest_lists_the_newest_and_counts_the_rest(engine, app, board_tenant, member_of, board_settings):
    tenant = board_tenant()
    user_id, reader = member_of(tenant)
    _, author = member_of(tenant)
    _follow(engine, tenant, reader, board_settings, categories=())
    for i in range(DIGEST_MAX_POSTS + 3):
        _post(engine, tenant, author, board_settings, title=f"Vraag nummer {i:02d} uit de buurt", age_days=1)
    run_for_tenant(engine, app, tenant.id)
    [mail] = _mails(engine, _email(engine, user_id))
    assert mail["subject"].startswith(f"{DIGEST_MAX_POSTS + 3} nieuwe berichten")
    assert len(re.findall(r"Vraag nummer \d\d", mail["body"])) == DIGEST_MAX_POSTS
    assert "En nog 3 op het prikbord" in mail["body"]


def test_one_tenants_run_touches_no_other_tenant(engine, app, board_tenant, member_of, board_settings):
    a, b = board_tenant(), board_tenant()
    b_user, b_author = member_of(b)
    b_post = _post(engine, b, b_author, board_settings, title="Bijna voorbij in lab B", until_days=1)
    assert run_for_tenant(engine, app, a.id).reminders == 0
    with tenant_unit_of_work(engine, b) as session:
        assert session.get(Post, b_post).reminded_at is None
    assert _mails(engine, _email(engine, b_user)) == []


def test_no_email_for_a_suspended_tenant_or_a_board_switched_off(engine, app, board_tenant, member_of, board_settings):
    from wijknet.platform.tenancy.models import Tenant

    tenant = board_tenant()
    _, author = member_of(tenant)
    _post(engine, tenant, author, board_settings, title="Bijna voorbij hier", until_days=1)

    def switch(**values):
        with Session(engine) as session, session.begin():
            if "enabled" in values:
                session.execute(
                    update(ModuleSetting)
                    .where(ModuleSetting.tenant_id == tenant.id, ModuleSetting.module == "board")
                    .values(enabled=values["enabled"])
                )
            if "status" in values:
                session.get(Tenant, tenant.id).status = values["status"]

    switch(enabled=False)
    assert run_for_tenant(engine, app, tenant.id).reminders == 0
    switch(enabled=True, status="suspended")
    assert run_for_tenant(engine, app, tenant.id).reminders == 0
    switch(status="active")
    assert run_for_tenant(engine, app, tenant.id).reminders == 1


# --- preferences page ---------------------------------------------------------------------
def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_a_member_sets_their_email_preferences(client, engine, board_tenant, member_of, login_as):
    tenant = board_tenant()
    user_id, member = member_of(tenant)
    login_as(client, user_id)
    path = f"/t/{tenant.slug}/board/notifications"
    page = client.get(path).get_data(as_text=True)
    assert "E-mailberichten" in page and 'value="off" checked' in page  # default: no digest

    saved = client.post(
        path, data={"csrf_token": _csrf(client, path), "digest": "weekly", "categories": ["groen", "zorg"], "language": "en"}
    )
    assert saved.status_code == 200 and "Opgeslagen" in saved.get_data(as_text=True)
    with tenant_unit_of_work(engine, tenant) as session:
        prefs = session.get(NotificationPreference, member)
        assert (prefs.digest, prefs.categories, prefs.reminders, prefs.language) == ("weekly", ["groen", "zorg"], False, "en")

    for bad in ({"digest": "hourly"}, {"categories": ["vuurwerk"]}, {"language": "de"}):
        data = {"csrf_token": _csrf(client, path), "digest": "daily", "categories": ["groen"], "language": "nl", **bad}
        refused = client.post(path, data=data)
        assert refused.status_code == 400 and 'class="error"' in refused.get_data(as_text=True)
    with tenant_unit_of_work(engine, tenant) as session:
        assert session.get(NotificationPreference, member).digest == "weekly"


def test_preferences_page_is_for_members_of_this_tenant_only(client, engine, board_tenant, member_of, login_as):
    a, b = board_tenant(), board_tenant()
    path = f"/t/{a.slug}/board/notifications"
    assert "/login" in client.get(path).headers["Location"]
    login_as(client, member_of(b)[0])
    assert client.get(path).status_code == 404
    token = _csrf(client, f"/t/{b.slug}/board/notifications")
    assert client.post(path, data={"csrf_token": token, "digest": "daily", "language": "nl"}).status_code == 404
    with tenant_unit_of_work(engine, a) as session:
        assert session.scalars(select(NotificationPreference)).all() == []


# --- the worker -------------------------------------------------------------------------
def test_the_hourly_job_reaches_every_board_tenant_through_the_worker(engine, run_cli, board_tenant, member_of, board_settings):
    tenant = board_tenant()
    user_id, author = member_of(tenant)
    _post(engine, tenant, author, board_settings, title="Snoeihulp gezocht deze week", until_days=1)
    with Session(engine) as session, session.begin():
        defer_in(session, notify_all, queue="board", timestamp=int(NOW.timestamp()))

    result = run_cli("worker", "--until-empty")

    assert result.returncode == 0, result.stderr
    assert "Task was not found" not in result.stderr
    to = _email(engine, user_id)
    with Session(engine) as session:
        subjects = session.scalars(select(DevOutboxMessage.subject).where(DevOutboxMessage.recipient == to)).all()
    assert len(subjects) == 1 and "Snoeihulp gezocht deze week" in subjects[0]


def test_board_notify_command(engine, run_cli, board_tenant, member_of, board_settings):
    tenant = board_tenant()
    user_id, author = member_of(tenant)
    _post(engine, tenant, author, board_settings, title="Wie leent een ladder uit?", until_days=1)
    result = run_cli("board", "notify", "--slug", tenant.slug)
    assert result.returncode == 0, result.stderr
    assert "1 tenants: 1 reminders and 0 digests queued" in result.stdout
    assert len(_mails(engine, _email(engine, user_id))) == 1
    unknown = run_cli("board", "notify", "--slug", "no-such-lab")
    assert unknown.returncode != 0 and "unknown tenant: no-such-lab" in unknown.stderr
