"""Board pages and API: posting with validation, isolation between tenants, visibility,
the react-and-match flow, escaping and pinned query counts."""

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.app import create_app
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.models import ModuleSetting
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Match, Post

pytestmark = pytest.mark.tenancy

FORM = {
    "kind": "need",
    "title": "Wie helpt met snoeien?",
    "body": "Mijn heg is te hoog.",
    "categories": "groen",
    "area": "3072 AB",
    "organisation": "",
    "valid_until": "",
}


def csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _posts(engine, tenant):
    with tenant_unit_of_work(engine, tenant) as session:
        return session.scalar(select(func.count()).select_from(Post))


def _new(client, tenant, **change):
    path = f"/t/{tenant.slug}/board/new"
    return client.post(path, data=dict(FORM, csrf_token=csrf(client, path), **change))


def _token(engine, tenant, user_id):
    with Session(engine) as session, session.begin():
        return {
            "Authorization": "Bearer " + create_token(session, tenant_id=tenant.id, user=session.get(User, user_id), name="t")[1]
        }


def _set(engine, tenant, **settings):
    with Session(engine) as session, session.begin():
        row = session.get(ModuleSetting, (tenant.id, "board"))
        row.settings = dict(row.settings or {}, **settings)


def test_a_member_posts_a_need_and_sees_it_on_the_board(client, engine, board_tenant, member_of, login_as):
    tenant = board_tenant()
    login_as(client, member_of(tenant, name="Ans Buur")[0])
    made = _new(client, tenant)
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Wie helpt met snoeien?" in page and "Vraag" in page and "Ans Buur" in page
    board = client.get(f"/t/{tenant.slug}/board/?q=snoei&kind=need").get_data(as_text=True)
    assert "Wie helpt met snoeien?" in board
    assert "Wie helpt met snoeien?" not in client.get(f"/t/{tenant.slug}/board/?kind=offer").get_data(as_text=True)
    assert "Wie helpt met snoeien?" in client.get(f"/t/{tenant.slug}/board/mine").get_data(as_text=True)


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"title": ""}, "title", "Geef je bericht een titel."),
        ({"title": "x" * 5000}, "title", "Een titel van 3 tot 120 tekens (nu 5000)."),
        ({"body": ""}, "body", "Beschrijf wat je zoekt of aanbiedt."),
        ({"body": "x" * 100_000}, "body", "Een beschrijving van hoogstens 5000 tekens (nu 100000)."),
        ({"categories": "astrologie"}, "categories", "Kies categorieën uit de lijst"),
        ({"valid_until": "2020-01-01"}, "valid_until", "in het verleden"),
    ],
)
def test_bad_input_on_the_form_gets_a_message_under_its_field_and_stores_nothing(
    client, engine, board_tenant, member_of, login_as, change, field, message
):
    tenant = board_tenant()
    login_as(client, member_of(tenant)[0])
    refused = _new(client, tenant, **change)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    under_field = re.search(rf'<p class="error" id="err-{field}">([^<]*)</p>', html)
    assert under_field and message in under_field.group(1), html[:2000]
    assert 'name="valid_until"' in html and "</form>" in html  # the rest of the form is still there
    assert _posts(engine, tenant) == 0


def test_html_in_a_post_is_text_and_never_breaks_a_page(client, engine, board_tenant, member_of, login_as):
    """Security review finding 18: `<script>` in a post is plain text, escaped wherever it is shown."""
    tenant = board_tenant()
    login_as(client, member_of(tenant)[0])
    made = _new(client, tenant, title="a<b of x>y", body="<script>alert(1)</script>")
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "a&lt;b of x&gt;y" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    refused = _new(client, tenant, title="", body="<script>alert(2)</script>")
    html = refused.get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert _posts(engine, tenant) == 1


def test_rendered_text_is_escaped(client, engine, board_tenant, member_of, login_as):
    tenant = board_tenant()
    login_as(client, member_of(tenant)[0])
    made = _new(client, tenant, title='Hulp & "zo" > niks', body="a < b en c > d")
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Hulp &amp; &#34;zo&#34; &gt; niks" in page and "a &lt; b en c &gt; d" in page


def test_react_mark_and_confirm_through_the_pages(client, engine, board_tenant, member_of, login_as):
    tenant = board_tenant()
    author_user, _ = member_of(tenant, name="Auteur")
    helper_user, _ = member_of(tenant, name="Helper")
    login_as(client, author_user)
    post_path = _new(client, tenant).headers["Location"].replace("http://localhost", "")
    helper = client.application.test_client()
    login_as(helper, helper_user)
    reacted = helper.post(
        f"{post_path}/react", data={"csrf_token": csrf(helper, post_path), "kind": "help", "message": "Ik heb een heggenschaar."}
    )
    assert reacted.status_code == 302
    page = client.get(post_path).get_data(as_text=True)
    assert "Ik heb een heggenschaar." in page and "Helper" in page
    reaction_id = re.search(r'name="reaction_id" value="(\d+)"', page).group(1)
    assert (
        client.post(f"{post_path}/match", data={"csrf_token": csrf(client, post_path), "reaction_id": reaction_id}).status_code
        == 302
    )
    assert "wacht op bevestiging" in client.get(post_path).get_data(as_text=True)
    assert helper.post(f"{post_path}/confirm", data={"csrf_token": csrf(helper, post_path)}).status_code == 302
    assert "door beiden bevestigd" in helper.get(post_path).get_data(as_text=True)
    with tenant_unit_of_work(engine, tenant) as session:
        assert session.scalars(select(Match)).one().confirmed_at is not None


def test_another_tenants_member_gets_404_on_every_board_page_and_endpoint(engine, environ, board_tenant, member_of, login_as):
    a, b = board_tenant(), board_tenant()
    app = create_app(dict(environ, WIJKNET_BASE_DOMAIN="wijknet.test"), engine=engine)
    owner = app.test_client()
    login_as(owner, member_of(b, name="Geheime Buur")[0], base_url="http://wijknet.test")
    post_path = _new_on(owner, b)
    post_id = post_path.rsplit("/", 1)[1]
    stranger_user, _ = member_of(a)
    stranger = app.test_client()
    login_as(stranger, stranger_user, base_url="http://wijknet.test")
    login_as(stranger, stranger_user, base_url=f"http://{b.slug}.wijknet.test")
    token = _token(engine, a, stranger_user)
    for path in ("/board/", f"/board/{post_id}", "/board/new", "/board/mine", "/board/for-you", f"/board/{post_id}/edit"):
        assert stranger.get(f"/t/{b.slug}{path}", base_url="http://wijknet.test").status_code in (404,), path
        assert stranger.get(path, base_url=f"http://{b.slug}.wijknet.test").status_code == 404, path
    page = stranger.get(f"/t/{a.slug}/board/new", base_url="http://wijknet.test").get_data(as_text=True)
    token_field = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # a valid form token of the stranger's
    for action in ("react", "close", "reopen", "report", "hide", "restore", "approve", "match", "confirm", "edit", "messages/1"):
        answer = stranger.post(
            f"/t/{b.slug}/board/{post_id}/{action}",
            base_url="http://wijknet.test",
            data={"csrf_token": token_field, "kind": "help", "message": "hoi", "reason": "zomaar", "reaction_id": "1"},
        )
        assert answer.status_code == 404, (action, answer.status_code)
    for method, path in (
        ("get", "/posts"),
        ("get", f"/posts/{post_id}"),
        ("get", f"/posts/{post_id}/suggestions"),
        ("post", f"/posts/{post_id}/reactions"),
        ("put", f"/posts/{post_id}"),
        ("post", "/posts"),
    ):
        answer = getattr(stranger, method)(
            f"/t/{b.slug}/api/v1/board{path}", headers=token, json={}, base_url="http://wijknet.test"
        )
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert "Geheime Buur" not in answer.get_data(as_text=True)


def _new_on(client, tenant):
    path = f"/t/{tenant.slug}/board/new"
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get(path, base_url="http://wijknet.test").get_data(as_text=True)
    ).group(1)
    made = client.post(path, data=dict(FORM, csrf_token=token), base_url="http://wijknet.test")
    assert made.status_code == 302
    return made.headers["Location"].split("wijknet.test", 1)[-1]


def test_members_only_board_sends_anonymous_visitors_to_login_or_404(client, engine, board_tenant, member_of, login_as):
    tenant = board_tenant()
    author = client.application.test_client()
    login_as(author, member_of(tenant)[0])
    post_path = _new(author, tenant).headers["Location"].replace("http://localhost", "")
    for path in (f"/t/{tenant.slug}/board/", post_path):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    api = client.get(f"/t/{tenant.slug}/api/v1/board/posts")  # without a token: sign in first
    assert api.status_code == 401 and api.json["code"] == "unauthorized"


def test_open_board_is_readable_by_anyone_without_authors_names(client, engine, board_tenant, member_of, login_as):
    tenant = board_tenant()
    _set(engine, tenant, visibility="public")
    author = client.application.test_client()
    login_as(author, member_of(tenant, name="Verborgen Naam")[0])
    post_path = _new(author, tenant).headers["Location"].replace("http://localhost", "")
    board = client.get(f"/t/{tenant.slug}/board/")
    post = client.get(post_path)
    assert board.status_code == post.status_code == 200
    assert "Wie helpt met snoeien?" in board.get_data(as_text=True)
    assert "Verborgen Naam" not in board.get_data(as_text=True) + post.get_data(as_text=True)
    assert client.get(f"/t/{tenant.slug}/api/v1/board/posts").json[0]["title"] == "Wie helpt met snoeien?"


def test_board_is_404_when_the_module_is_off(client, engine, make_tenant, make_member, login_as):
    tenant = make_tenant(modules=())
    login_as(client, make_member(tenant))
    assert client.get(f"/t/{tenant.slug}/board/").status_code == 404


def test_api_posts_with_validation(client, engine, board_tenant, member_of):
    tenant = board_tenant()
    user, _ = member_of(tenant)
    headers = _token(engine, tenant, user)
    made = client.post(
        f"/t/{tenant.slug}/api/v1/board/posts",
        headers=headers,
        json={"kind": "offer", "title": "Ik snoei heggen", "body": "Met eigen schaar.", "categories": ["groen"]},
    )
    assert made.status_code == 201 and made.json["status"] == "open"
    bad = client.post(
        f"/t/{tenant.slug}/api/v1/board/posts",
        headers=headers,
        json={"kind": "offer", "title": "", "body": "x", "categories": ["astrologie"]},
    )
    assert bad.status_code == 422 and bad.json["code"] == "validation"
    assert {"title", "categories"} <= set(bad.json["errors"]["json"])
    found = client.get(f"/t/{tenant.slug}/api/v1/board/posts?q=snoeien", headers=headers)
    assert [p["title"] for p in found.json] == ["Ik snoei heggen"]
    assert _posts(engine, tenant) == 1


def test_query_counts_are_pinned(client, engine, board_tenant, member_of, login_as, seed_fixture, count_queries):
    tenant = board_tenant()
    ids = seed_fixture(tenant)
    login_as(client, member_of(tenant)[0])
    client.get(f"/t/{tenant.slug}/board/")  # warm caches
    count_queries.statements.clear()
    assert client.get(f"/t/{tenant.slug}/board/").status_code == 200
    board_queries = len(count_queries.statements)
    count_queries.statements.clear()
    assert client.get(f"/t/{tenant.slug}/board/{ids['n-snoeien']}").status_code == 200
    post_queries = len(count_queries.statements)
    # Exact, so an N+1 or a forgotten cache fails here. Both pages: the tenant and its modules
    # with their settings (the test app caches nothing), the user, the platform membership,
    # the member row (the switch travels with the transaction's BEGIN, not as a statement
    # of its own: tests/platform/tenancy/test_round_trips.py); the board: count and page,
    # and the member's unread notices; the post: the post, its reactions, its author,
    # suggestions, the suggested posts and the match.
    assert (board_queries, post_queries) == (8, 11), "\n".join(count_queries.statements)


def test_suggested_for_you_page(client, engine, board_tenant, member_of, login_as, seed_fixture, board_jobs):
    """A post saved through the page is read by the background job, not in the request;
    after the job the suggestions are there."""
    tenant = board_tenant()
    seed_fixture(tenant)
    login_as(client, member_of(tenant)[0])
    empty = client.get(f"/t/{tenant.slug}/board/for-you").get_data(as_text=True)
    assert "Nog niets voor jou" in empty
    _new(client, tenant, title="Heg snoeien in de voortuin", body="Wie heeft een heggenschaar?")
    before_the_job = client.get(f"/t/{tenant.slug}/board/for-you").get_data(as_text=True)
    assert "Snoei en tuinonderhoud door gepensioneerde hovenier" not in before_the_job
    board_jobs()
    page = client.get(f"/t/{tenant.slug}/board/for-you").get_data(as_text=True)
    assert "Snoei en tuinonderhoud door gepensioneerde hovenier" in page


def test_a_text_search_ranks_a_bounded_window_and_says_so(
    client, engine, board_tenant, member_of, login_as, seed_fixture, monkeypatch
):
    from wijknet.tenants.board import queries, views

    tenant = board_tenant()
    seed_fixture(tenant)
    login_as(client, member_of(tenant)[0])
    monkeypatch.setattr(queries, "SEARCH_WINDOW", 2)
    monkeypatch.setattr(views, "SEARCH_WINDOW", 2)
    page = client.get(f"/t/{tenant.slug}/board/?q=buurt").get_data(as_text=True)
    assert "Meer dan 2 berichten" in page and page.count('class="card"') == 2
    few = client.get(f"/t/{tenant.slug}/board/?q=heggenschaar").get_data(as_text=True)
    assert "1 bericht" in few and "Meer dan" not in few


def test_admin_changes_board_settings_and_nobody_else_can(client, engine, board_tenant, member_of, login_as):
    """The board's settings form is derived from its schema (admin console, issue 11);
    every change is audited in the lab's own audit log."""
    from wijknet.tenants.core.models import TenantAuditEntry

    a, b = board_tenant(), board_tenant()
    path = f"/t/{a.slug}/admin/modules/board"
    login_as(client, member_of(a, "admin")[0])
    form = client.get(path).get_data(as_text=True)
    assert "Wie het prikbord kan lezen" in form and "Categorieën, één per regel" in form
    saved = client.post(
        path,
        data={
            "csrf_token": csrf(client, path),
            "visibility": "public",
            "approval_required": "on",
            "posts_per_day": "3",
            "reminder_days": "5",
            "categories": "groen\nKlussen\n\nbuurtfeest",
        },
    )
    assert saved.status_code == 200 and "Opgeslagen." in saved.get_data(as_text=True)
    with Session(engine) as session:
        settings = session.get(ModuleSetting, (a.id, "board")).settings
        assert settings["categories"] == ["groen", "klussen", "buurtfeest"]
        assert (settings["visibility"], settings["approval_required"], settings["posts_per_day"]) == ("public", True, 3)
        assert settings["reminder_days"] == 5
    with tenant_unit_of_work(engine, a) as session:
        entry = session.scalars(select(TenantAuditEntry).where(TenantAuditEntry.action == "module.settings_changed")).one()
        assert entry.detail["module"] == "board" and entry.detail["changed"]["posts_per_day"] == {"from": 5, "to": 3}
        assert entry.actor_member_id is not None
    bad = client.post(
        path,
        data={
            "csrf_token": csrf(client, path),
            "visibility": "iedereen",
            "posts_per_day": "0",
            "reminder_days": "31",
            "categories": "",
        },
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Een getal van 1 tot 100." in html and "Een getal van 1 tot en met 30." in html
    with Session(engine) as session:
        assert session.get(ModuleSetting, (a.id, "board")).settings["posts_per_day"] == 3
    assert client.get(f"/t/{b.slug}/admin/modules/board").status_code == 404
    member = client.application.test_client()
    login_as(member, member_of(a)[0])
    assert member.get(path).status_code == 404
    assert (
        member.post(
            path,
            data={
                "csrf_token": csrf(member, f"/t/{a.slug}/board/"),
                "visibility": "members",
                "posts_per_day": "5",
                "categories": "x",
            },
        ).status_code
        == 404
    )


def test_api_reads_changes_closes_suggests_and_reacts(client, engine, board_tenant, member_of, seed_fixture):
    """Issue 19: each board endpoint succeeds, with what it says checked."""
    tenant = board_tenant()
    seed_fixture(tenant)
    author_user, _ = member_of(tenant, name="Schrijver")
    helper_user, _ = member_of(tenant, name="Helper")
    author, helper = _token(engine, tenant, author_user), _token(engine, tenant, helper_user)
    base = f"/t/{tenant.slug}/api/v1/board/posts"
    made = client.post(
        base,
        headers=author,
        json={
            "kind": "need",
            "title": "Heg snoeien in de voortuin",
            "body": "Wie heeft een heggenschaar?",
            "categories": ["groen"],
        },
    )
    assert made.status_code == 201
    post_id = made.json["id"]
    one = client.get(f"{base}/{post_id}", headers=helper)
    assert one.status_code == 200 and one.json["title"] == "Heg snoeien in de voortuin" and one.json["status"] == "open"
    changed = client.put(
        f"{base}/{post_id}",
        headers=author,
        json={"kind": "need", "title": "Heg snoeien, voortuin", "body": "Liefst zaterdag.", "categories": ["groen"]},
    )
    assert changed.status_code == 200 and changed.json["title"] == "Heg snoeien, voortuin"
    assert (
        client.put(
            f"{base}/{post_id}", headers=helper, json={"kind": "need", "title": "Van mij", "body": "x", "categories": ["groen"]}
        ).status_code
        == 403
    )
    suggestions = client.get(f"{base}/{post_id}/suggestions", headers=helper)
    assert suggestions.status_code == 200 and suggestions.json
    assert all(s["post"]["kind"] == "offer" for s in suggestions.json)
    assert "Snoei en tuinonderhoud door gepensioneerde hovenier" in [s["post"]["title"] for s in suggestions.json]
    reacted = client.post(f"{base}/{post_id}/reactions", headers=helper, json={"kind": "help", "message": "Ik kom zaterdag."})
    assert reacted.status_code == 201 and reacted.json["post_id"] == post_id and reacted.json["kind"] == "help"
    assert (
        client.post(f"{base}/{post_id}/reactions", headers=helper, json={"kind": "help", "message": "Nog eens"}).status_code
        == 409
    )
    closed = client.post(f"{base}/{post_id}/close", headers=author)
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert client.post(f"{base}/{post_id}/close", headers=author).status_code == 409
