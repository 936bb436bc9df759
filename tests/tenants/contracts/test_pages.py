"""Contract pages (issue 14): an administrator makes a contract with euros typed as people
type them, budget lines and milestones in rows; bad input gets messages and stores nothing;
the proposal, the approvals and the members' vote through the buttons; another lab's people
get 404 on every contract page."""

import re

import pytest
from sqlalchemy import func, select

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.contracts.models import Contract
from wijknet.tenants.core.models import Organisation

pytestmark = pytest.mark.tenancy

FORM = {
    "title": "Onderhoud openbaar groen",
    "purpose": "Plantsoenen en boomspiegels.",
    "contract_type": "green_maintenance",
    "value": "50.000,00",
    "starts_on": "2027-01-01",
    "ends_on": "2027-12-31",
    "line_name": ["Loonkosten", "Materiaal", ""],
    "line_amount": ["35.000", "15.000,00", ""],
    "milestone_title": ["Voorjaar", "Najaar", ""],
    "milestone_due": ["2027-04-30", "2027-10-31", ""],
    "milestone_weight": ["40", "60", ""],
    "milestone_payment": ["20.000", "", ""],
}


def csrf(client, path):
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    text = page.get_data(as_text=True)
    found = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)}
    key = re.search(r'name="request_key" value="([^"]+)"', text)
    return found | ({"request_key": key.group(1)} if key else {})


@pytest.fixture
def lab(engine, make_tenant):
    lab = make_tenant(modules=("contracts", "ledger"))
    with tenant_unit_of_work(engine, lab) as session:
        session.add(Organisation(name="Gemeente Rotterdam", kind="municipality"))
    return lab


def _count(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        return session.scalar(select(func.count()).select_from(Contract))


def test_make_propose_approve_and_vote_through_the_pages(app, engine, lab, make_member, login_as):
    board = [login_as(app.test_client(), make_member(lab, "admin", name=f"Bestuurder {i}")) for i in range(3)]
    member = login_as(app.test_client(), make_member(lab, name="Lid Een"))
    new = f"/t/{lab.slug}/contracts/new"
    made = board[0].post(new, data={**FORM, **csrf(board[0], new)})
    assert made.status_code == 303, made.get_data(as_text=True)[-3000:]
    page_url = made.headers["Location"]
    page = member.get(page_url).get_data(as_text=True)
    for text in ("Onderhoud openbaar groen", "€ 50.000,00", "Loonkosten", "€ 35.000,00", "Voorjaar", "gewicht 40 %", "concept"):
        assert text in page, text
    contract_id = int(page_url.rsplit("/", 1)[1])
    step = f"/t/{lab.slug}/contracts/{contract_id}/step"
    assert member.post(step, data={**csrf(member, page_url), "to": "proposed"}).status_code == 404  # members do not propose
    assert (
        board[0].post(step, data={**csrf(board[0], page_url), "to": "proposed", "reason": "Voor het bestuur"}).status_code == 303
    )
    approve = f"/t/{lab.slug}/contracts/{contract_id}/approve"
    own = board[0].post(approve, data=csrf(board[0], page_url))
    assert own.status_code == 409 and "anderen keuren het goed" in own.get_data(as_text=True)
    for admin in board[1:]:
        assert admin.post(approve, data=csrf(admin, page_url)).status_code == 303
    page = member.get(page_url).get_data(as_text=True)
    assert (
        "Bestuurder 1" in page and "Bestuurder 2" in page and "De ledenstemming" not in page
    )  # € 50,000 is the threshold: no vote
    vote = f"/t/{lab.slug}/contracts/{contract_id}/vote"
    refused = member.post(vote, data={**csrf(member, page_url), "choice": "for"})
    assert refused.status_code == 409 and "Er loopt geen stemming" in refused.get_data(as_text=True)
    with tenant_unit_of_work(engine, lab) as session:
        assert session.get(Contract, contract_id).status == "approved"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": "-5"}, "Een waarde van € 0 of meer."),
        ({"value": "veel"}, "Een bedrag zoals 12,50."),
        ({"starts_on": "2027-12-31", "ends_on": "2027-01-01"}, "Het einde ligt voor het begin."),
        ({"milestone_weight": ["40", "40", ""]}, "tellen op tot 80 %, niet tot 100 %"),
        ({"line_amount": ["35.000", "1", ""]}, "De begrotingsposten tellen op tot"),
        ({"title": ""}, "Een titel van 3 tot 200 tekens."),
    ],
)
def test_bad_input_on_the_form_gets_a_message_and_stores_nothing(app, engine, lab, make_member, login_as, change, message):
    admin = login_as(app.test_client(), make_member(lab, "admin"))
    new = f"/t/{lab.slug}/contracts/new"
    answer = admin.post(new, data={**FORM, **change, **csrf(admin, new)})
    assert answer.status_code == 400 and message in answer.get_data(as_text=True), answer.get_data(as_text=True)[-3000:]
    assert _count(engine, lab) == 0


def test_another_labs_people_get_404_on_every_contract_page(app, engine, lab, make_member, make_tenant, login_as):
    admin = login_as(app.test_client(), make_member(lab, "admin"))
    new = f"/t/{lab.slug}/contracts/new"
    contract_id = int(admin.post(new, data={**FORM, **csrf(admin, new)}).headers["Location"].rsplit("/", 1)[1])
    other = make_tenant(modules=("contracts",))
    stranger = login_as(app.test_client(), make_member(other, "admin"))
    base = f"/t/{lab.slug}/contracts"
    for path in (f"{base}/", f"{base}/{contract_id}", f"{base}/{contract_id}/edit", f"{base}/new"):
        answer = stranger.get(path)
        assert answer.status_code in (302, 404) and "Onderhoud openbaar groen" not in answer.get_data(as_text=True), path
    assert stranger.get(f"/t/{other.slug}/contracts/{contract_id}").status_code == 404  # by id in its own lab


def test_progress_with_a_photo_and_the_organisations_directory(app, engine, lab, make_member, make_tenant, login_as):
    import io

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from tests.support.images import has_gps, phone_jpeg

    board = [login_as(app.test_client(), make_member(lab, "admin", name=f"Bestuurder {i}")) for i in range(3)]
    member = login_as(app.test_client(), make_member(lab, name="Lid Twee"))
    new = f"/t/{lab.slug}/contracts/new"
    url = board[0].post(new, data={**FORM, "sroi_hours": "300", **csrf(board[0], new)}).headers["Location"]
    board[0].post(f"{url}/step", data={**csrf(board[0], url), "to": "proposed"})
    for admin in board[1:]:
        admin.post(f"{url}/approve", data=csrf(admin, url))
    board[0].post(f"{url}/step", data={**csrf(board[0], url), "to": "signed"})
    boundary, body = encode_multipart(
        {
            **csrf(board[0], url),
            "text": "De heggen langs de Tarwestraat zijn gesnoeid.",
            "hours": "120",
            "participants": "4",
            "local": "3.000",
            "month": "2027-04",
            "photo": FileStorage(io.BytesIO(phone_jpeg()), "heg.jpg", "photo", "image/jpeg"),
        }
    )
    reported = board[0].post(f"{url}/progress", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert reported.status_code == 303, reported.get_data(as_text=True)[-2000:]
    page = member.get(url).get_data(as_text=True)
    assert "De heggen langs de Tarwestraat zijn gesnoeid." in page and "120 van 300 beloofd" in page and "€ 3.000,00" in page
    photo = re.search(r'src="(/media/[^"]+)" alt="Foto bij het verslag"', page).group(1)
    media = member.get(photo)
    served = media.data
    media.close()
    assert served[:2] == b"\xff\xd8" and not has_gps(served)  # a JPEG, without the phone's position
    bad = board[0].post(f"{url}/progress", data={**csrf(board[0], url), "text": "Gedaan", "hours": "-1"})
    assert bad.status_code == 400 and "Een aantal uren, 0 of meer." in bad.get_data(as_text=True)

    directory = f"/t/{lab.slug}/contracts/organisations"
    made = board[0].post(
        directory, data={**csrf(board[0], directory), "name": "Woonstad Rotterdam", "kind": "housing_corporation"}
    )
    assert made.status_code == 303
    organisation = made.headers["Location"]
    refused = board[0].post(directory, data={**csrf(board[0], directory), "name": "Woonstad", "website": "ftp://x"})
    assert refused.status_code == 400 and "Een adres zoals https://example.nl." in refused.get_data(as_text=True)
    assert member.post(directory, data={**csrf(member, directory), "name": "Ledenclub"}).status_code == 404
    board[0].post(f"{organisation}/contacts", data={**csrf(board[0], organisation), "name": "Karin de Boer", "role": "opzichter"})
    listing = member.get(organisation).get_data(as_text=True)
    assert "Karin de Boer (opzichter)" in listing
    elsewhere = make_tenant(modules=("contracts",))
    other = login_as(app.test_client(), make_member(elsewhere, "admin"))  # an admin, of another lab
    assert other.get(organisation).status_code in (302, 404) and other.get(directory).status_code in (302, 404)


def test_a_confirmed_board_match_starts_a_draft_contract(app, engine, make_tenant, make_member, login_as):
    from wijknet.tenants.board.models import Match, Post
    from wijknet.tenants.board.operations import confirm_match, create_post, mark_match, react
    from wijknet.tenants.core.models import Member

    lab = make_tenant(modules=("board", "contracts", "ledger"))
    admin_user, helper_user = make_member(lab, "admin", name="Anouk Bestuur"), make_member(lab, name="Henk Hovenier")
    with tenant_unit_of_work(engine, lab) as session:
        people = {m.user_id: m for m in session.scalars(select(Member))}
        post = create_post(
            session,
            people[admin_user],
            {"categories": ["groen"], "posts_per_day": 10, "approval_required": False},
            kind="need",
            title="Wie onderhoudt het speeltuintje?",
            body="De gemeente zoekt iemand voor het groen.",
            categories=["groen"],
            organisation=None,
            area=None,
            valid_until=None,
        )
        reaction = react(session, post, people[helper_user], kind="help", message="Dat doe ik graag.")
        mark_match(session, post, people[admin_user], reaction.id)
        confirm_match(session, session.get(Post, post.id), people[helper_user])
        match_id, post_id = session.scalar(select(Match.id)), post.id
    admin = login_as(app.test_client(), admin_user)
    post_page = admin.get(f"/t/{lab.slug}/board/{post_id}").get_data(as_text=True)
    assert f"/t/{lab.slug}/contracts/new?match={match_id}" in post_page
    form = admin.get(f"/t/{lab.slug}/contracts/new?match={match_id}").get_data(as_text=True)
    assert 'value="Wie onderhoudt het speeltuintje?"' in form and "Henk Hovenier" in form and "None" not in form
    assert 'value="Wie onderhoudt' not in admin.get(f"/t/{lab.slug}/contracts/new?match=999").get_data(as_text=True)
