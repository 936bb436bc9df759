"""Issue 16, item 6: the board complete in English. Categories are keys with a label in each
language; dates follow the interface language; the API's error messages follow
Accept-Language; the first visit takes the browser's language; /lang/<code> with a code we do
not have says so."""

from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from tests.tenants.board.test_pages_and_api import _new, _set, _token
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Post
from wijknet.tenants.core.time import tenant_today

pytestmark = pytest.mark.tenancy
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}


def test_categories_are_keys_shown_in_the_readers_language(client, engine, board_tenant, member_of, login_as):
    tenant = board_tenant()
    _set(engine, tenant, visibility="public", categories=["zorg", "groen", "repair café"])
    login_as(client, member_of(tenant)[0])
    until = tenant_today() + timedelta(days=40)
    post_path = _new(client, tenant, categories=["groen", "repair café"], valid_until=until.isoformat()).headers["Location"]
    with tenant_unit_of_work(engine, tenant) as session:
        assert session.scalars(select(Post.categories)).one() == ["groen", "repair café"]  # stored as keys
    reader = client.application.test_client()
    english = reader.get(post_path, headers=ENGLISH).get_data(as_text=True)
    dutch = reader.get(post_path, headers=DUTCH).get_data(as_text=True)
    assert "Gardens and green, repair café" in english and "Groen, repair café" in dutch
    # Dates as each language writes them (Jan 3, 2027 / 3 jan 2027), not one format for both.
    assert f"until {format_date(until, 'medium', locale='en')}" in english
    assert f"tot {format_date(until, 'medium', locale='nl')}" in dutch
    assert format_date(until, "medium", locale="en") != format_date(until, "medium", locale="nl")
    form = client.get(f"/t/{tenant.slug}/board/new", headers=ENGLISH).get_data(as_text=True)
    assert '<input type="checkbox" id="cat-1" name="categories" value="zorg"' in form and ">Care</label>" in form
    board = reader.get(f"/t/{tenant.slug}/board/", headers=ENGLISH).get_data(as_text=True)
    assert '<option value="groen">Gardens and green</option>' in board
    api = reader.get(f"/t/{tenant.slug}/api/v1/board/posts", headers=ENGLISH).json
    assert api[0]["categories"] == ["groen", "repair café"]  # the API speaks keys


def test_api_errors_follow_accept_language(client, engine, board_tenant, member_of):
    tenant = board_tenant()
    user_id, _member = member_of(tenant)
    headers = _token(engine, tenant, user_id)
    bad = {"kind": "need", "title": "Heg", "body": "Snoeien", "categories": ["astrologie"]}
    path = f"/t/{tenant.slug}/api/v1/board/posts"
    english = client.post(path, headers=dict(headers, **ENGLISH), json=bad).json
    dutch = client.post(path, headers=dict(headers, **DUTCH), json=bad).json
    assert english["code"] == dutch["code"] == "validation"
    assert english["errors"]["json"]["categories"] != dutch["errors"]["json"]["categories"]
    assert "categor" in english["errors"]["json"]["categories"][0].lower()
    assert "categorie" in dutch["errors"]["json"]["categories"][0].lower()
    missing = f"/t/{tenant.slug}/api/v1/board/posts/999999"
    assert client.get(missing, headers=dict(headers, **ENGLISH)).json == {
        "code": "board.post_not_found",
        "status": 404,
        "message": "This post does not exist (any more).",
        "errors": {},
    }
    assert client.get(missing, headers=dict(headers, **DUTCH)).json["message"] == "Dit bericht bestaat niet (meer)."


def test_the_first_visit_takes_the_browsers_language_and_the_choice_sticks(client, board_tenant):
    tenant = board_tenant()
    _page = f"/t/{tenant.slug}/"
    assert 'lang="en"' in client.get(_page, headers=ENGLISH).get_data(as_text=True)
    assert 'lang="nl"' in client.get(_page, headers={}).get_data(as_text=True)  # no preference: Dutch
    client.get("/lang/nl?next=/")
    assert 'lang="nl"' in client.get(_page, headers=ENGLISH).get_data(as_text=True)  # the choice outranks the browser


def test_an_unknown_language_code_gets_a_message_and_changes_nothing(client, engine):
    answer = client.get("/lang/fr?next=/t/x/board/", headers=ENGLISH)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert "“fr” is not a language of wijknet" in page and "/lang/nl?next=/t/x/board/" in page
    assert "Set-Cookie" not in answer.headers or "lang=" not in answer.headers["Set-Cookie"]
    dutch = client.get("/lang/<script>", headers=DUTCH).get_data(as_text=True)
    assert "is geen taal van wijknet" in dutch and "<script>" not in dutch
