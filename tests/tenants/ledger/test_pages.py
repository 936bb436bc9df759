"""The wijkboekhouding's pages and API (issue 14, item 7): members see the accounts and the
journal, administrators download every line as CSV (debits equal credits), the public page
exists only when the lab switches it on and never names a private person, and another
lab's people get nothing, by page, API or token."""

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.models import ModuleSetting
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.assets.operations import check_in, check_out, create_asset, request_booking, set_shares
from wijknet.tenants.core.models import Member, Organisation

pytestmark = pytest.mark.tenancy


@pytest.fixture
def booked_lab(app, engine, make_tenant, make_member):
    """A lab whose cargo bike (60 % Bram Bijdrager, 40 % Buurtfonds Zuid) made one trip."""
    lab = make_tenant(modules=("assets", "ledger"))
    admin_user, owner_user, driver_user = make_member(lab, "admin"), make_member(lab, name="Bram Bijdrager"), make_member(lab)
    with app.app_context(), tenant_unit_of_work(engine, lab) as session:
        people = {m.user_id: m for m in session.scalars(select(Member))}
        admin, owner, driver = people[admin_user], people[owner_user], people[driver_user]
        fund = Organisation(name="Buurtfonds Zuid", kind="foundation")
        session.add(fund)
        session.flush()
        bike = create_asset(session, admin, {"kind": "other", "name": "Bakfiets", "price_cents": 500, "price_unit": "hour"})
        begin = datetime.now(timezone.utc) - timedelta(days=2)
        set_shares(
            session,
            bike,
            admin,
            {
                "shares": [
                    {"party": "member", "member_id": owner.id, "basis_points": 6000},
                    {"party": "organisation", "organisation_id": fund.id, "basis_points": 4000},
                ]
            },
            now=begin - timedelta(days=1),
        )
        trip = request_booking(
            session,
            bike,
            driver,
            {"starts_at": begin.isoformat(), "ends_at": (begin + timedelta(hours=2)).isoformat()},
            now=begin,
        )
        check_in(session, trip, bike, driver, {}, now=begin)
        check_out(session, trip, bike, driver, {}, fee_percent=10, now=begin + timedelta(hours=2))
    return lab, admin_user, owner_user, driver_user


def _public(engine, lab, on: bool):
    with Session(engine) as session, session.begin():
        row = session.get(ModuleSetting, (lab.id, "ledger"))
        row.settings = dict(row.settings or {}, public_page=on)


def test_members_see_accounts_and_journal_admins_get_the_csv(app, booked_lab, login_as):
    lab, admin_user, _owner, driver_user = booked_lab
    member = login_as(app.test_client(), driver_user)
    overview = member.get(f"/t/{lab.slug}/ledger/").get_data(as_text=True)
    # € 10.00 booked as receivable; € 1.00 fee; € 5.40 to Bram, € 3.60 to the fund
    for text in (
        "Te ontvangen",
        "€ 10,00",
        "Vergoeding coöperatie",
        "€ 1,00",
        "Te betalen aan Bram Bijdrager",
        "€ 5,40",
        "€ 3,60",
    ):
        assert text in overview, text
    journal = member.get(f"/t/{lab.slug}/ledger/journal").get_data(as_text=True)
    assert "Bakfiets" in journal and "Debet" in journal
    assert member.get(f"/t/{lab.slug}/ledger/export.csv").status_code == 404
    export = login_as(app.test_client(), admin_user).get(f"/t/{lab.slug}/ledger/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert len(rows) == 4 and {r["entry"] for r in rows} == {"1"}  # receivable, fee, Bram, the fund
    assert sum(int(r["debit_cents"]) for r in rows) == sum(int(r["credit_cents"]) for r in rows) == 1000


def test_the_public_page_exists_only_when_switched_on_and_names_no_resident(app, engine, booked_lab, login_as):
    lab, _admin, _owner, driver_user = booked_lab
    anonymous = app.test_client()
    assert anonymous.get(f"/t/{lab.slug}/ledger/public").status_code == 404
    assert login_as(app.test_client(), driver_user).get(f"/t/{lab.slug}/ledger/public").status_code == 404
    _public(engine, lab, True)
    app.extensions["wijknet"].directory.forget(lab.slug)
    page = anonymous.get(f"/t/{lab.slug}/ledger/public")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Te betalen aan Buurtfonds Zuid" in text and "€ 3,60" in text  # organisations by name
    assert "€ 5,40" in text and "1 bewoner" in text  # residents together, never by name
    assert "Bram" not in text and "Bijdrager" not in text
    assert anonymous.get(f"/t/{lab.slug}/ledger/").status_code == 302  # the books themselves stay for members


def test_the_api_reads_accounts_and_entries(app, engine, booked_lab):
    lab, _admin, _owner, driver_user = booked_lab
    with Session(engine) as session, session.begin():
        token = create_token(session, tenant_id=lab.id, user=session.get(User, driver_user), name="t")[1]
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    accounts = {a["ref"]: a for a in client.get(f"/t/{lab.slug}/api/v1/ledger/accounts", headers=headers).get_json()}
    assert accounts["receivable"]["balance_cents"] == 1000 and accounts["fees"]["balance_cents"] == 100
    entries = client.get(f"/t/{lab.slug}/api/v1/ledger/entries", headers=headers).get_json()
    assert len(entries) == 1 and sum(line["amount_cents"] for line in entries[0]["lines"]) == 0


def test_another_labs_people_get_nothing(app, engine, booked_lab, make_tenant, make_member, login_as):
    lab = booked_lab[0]
    _public(engine, lab, False)
    other = make_tenant(modules=("assets", "ledger"))
    stranger = make_member(other, "admin")
    with Session(engine) as session, session.begin():
        token = create_token(session, tenant_id=other.id, user=session.get(User, stranger), name="t")[1]
    client = login_as(app.test_client(), stranger)
    for path in ("/ledger/", "/ledger/journal", "/ledger/export.csv", "/ledger/public"):
        answer = client.get(f"/t/{lab.slug}{path}")
        assert answer.status_code in (302, 404) and "Bakfiets" not in answer.get_data(as_text=True), path
    for path in ("/api/v1/ledger/accounts", "/api/v1/ledger/entries"):
        answer = app.test_client().get(f"/t/{lab.slug}{path}", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code in (401, 404), path
