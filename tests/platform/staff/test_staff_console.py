"""Issue 12, the staff console and staff API: only staff get in; the wizard checks every
field and onboards a lab in one go (provisioned, starter kit applied, first admin invited,
then live); suspend, resume, plan, export and delete (export first, typed confirmation)
are recorded in the staff log; the staff API does the same with a staff token."""

import io
import json
import os
import secrets
import zipfile

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import Invitation, User
from wijknet.platform.identity.tokens import TokenError, create_staff_token, create_token
from wijknet.platform.tenancy.models import ModuleSetting, StaffAuditEntry, Tenant
from wijknet.platform.tenancy.operations import ensure_user

from ...support.forms import csrf, post_form

pytestmark = pytest.mark.tenancy

STAFF_PAGES = ("/staff/", "/staff/new", "/staff/audit", "/staff/tokens", "/staff/slug-check?slug=abc")


@pytest.fixture
def staff_client(app, staff, login_as):
    return login_as(app.test_client(), staff)


def _slug() -> str:
    return f"nieuw-{secrets.token_hex(3)}"


def _lab(engine, slug) -> Tenant | None:
    with Session(engine) as session:
        found = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
        if found is not None:
            session.expunge(found)
        return found


def _log(engine, slug) -> list[str]:
    with Session(engine) as session:
        return session.scalars(
            select(StaffAuditEntry.action).where(StaffAuditEntry.tenant_slug == slug).order_by(StaffAuditEntry.id)
        ).all()


def test_only_staff_reach_the_console(app, engine, staff_client, make_tenant, make_member, login_as):
    lab = make_tenant()
    admin = login_as(app.test_client(), make_member(lab, "admin"))
    visitor = app.test_client()
    for path in (*STAFF_PAGES, f"/staff/labs/{lab.slug}", f"/staff/labs/{lab.slug}/delete"):
        assert staff_client.get(path).status_code == 200, path
        assert admin.get(path).status_code == 403, path  # a lab's admin is no staff
        answer = visitor.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
    # a form token of the admin's own session does not open staff actions either
    token = csrf(admin, f"/t/{lab.slug}/admin/general")
    refused = admin.post(f"/staff/labs/{lab.slug}/status", data={"csrf_token": token, "status": "suspended"})
    assert refused.status_code == 403 and _lab(engine, lab.slug).status == "active"


def test_the_list_is_searchable_sortable_and_paged(staff_client, make_tenant, make_member):
    first = make_tenant(name="Aaa Zoekbaar Lab", region="Groningen")
    second = make_tenant(name="Zzz Zoekbaar Lab", region="Groningen")
    for _ in range(3):
        make_member(second)
    found = staff_client.get("/staff/?q=zoekbaar").get_data(as_text=True)
    assert found.index(first.name) < found.index(second.name) and "2 proeftuinen" in found
    by_members = staff_client.get("/staff/?q=zoekbaar&sort=members&dir=desc").get_data(as_text=True)
    assert by_members.index(second.name) < by_members.index(first.name)
    assert "Geen living lab komt overeen" in staff_client.get("/staff/?q=bestaat-echt-niet").get_data(as_text=True)
    assert staff_client.get("/staff/?sort=drop+table&dir=sideways").status_code == 200  # unknown sort: by name
    assert staff_client.get("/staff/?page=999").status_code == 302


def test_the_live_slug_check(staff_client, make_tenant):
    taken = make_tenant()
    free = staff_client.get("/staff/slug-check?slug=vrij-adres-" + secrets.token_hex(2)).json
    assert free["available"] is True and free["message"] == "Beschikbaar."
    answer = staff_client.get(f"/staff/slug-check?slug={taken.slug}").json
    assert answer["available"] is False and "heeft dit adres al" in answer["message"]
    assert answer["suggestion"].startswith(taken.slug[:36] + "-")
    for bad in ("AB", "met spatie", "eind-", "dubbel--streep", "admin", "x" * 41):
        assert staff_client.get("/staff/slug-check", query_string={"slug": bad}).json["available"] is False, bad


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Een naam van 1 tot 120"),
        ({"slug": "Met Hoofdletters!"}, "slug", "kleine letters"),
        ({"slug": "admin"}, "slug", "gereserveerd"),
        ({"admin_email": "geen-adres"}, "admin_email", "geen e-mailadres"),
        ({"type": "kasteel"}, "type", "Kies een van de soorten"),
        ({"plan": "gratis-voor-altijd"}, "plan", "Kies een van de abonnementen"),
        ({"plan": "buurt", "modules": ["board", "contracts"]}, "modules", "bevat niet: contracts"),
        ({"modules": ["board", "casino"]}, "modules", "Onbekende modules: casino"),
        ({"starter_kit": "geen-voorbeeld"}, "starter_kit", "Kies een van de voorbeeld-labs"),
    ],
)
def test_the_wizard_refuses_bad_input_per_field_and_makes_nothing(staff_client, engine, change, field, message):
    slug = _slug()
    form = {
        "name": "Buurtlab",
        "slug": slug,
        "type": "wijkbedrijf",
        "plan": "pilot",
        "modules": ["board"],
        "admin_email": "beheer@example.org",
        **change,
    }
    refused = post_form(staff_client, "/staff/new", form)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and message in body and f'id="err-{field}"' in body
    assert _lab(engine, form["slug"]) is None and _lab(engine, slug) is None
    assert "Pilot: 90 dagen gratis" in body  # the plans in the reader's language, translated when shown


def test_onboarding_from_a_starter_kit_invites_the_first_admin(app, staff_client, engine, make_tenant, login_as):
    model = make_tenant(modules=("board", "ledger"), name="Model Wijk")
    with Session(engine) as session, session.begin():
        session.get(Tenant, model.id).is_model = True
        session.get(ModuleSetting, (model.id, "board")).settings = {"categories": ["groen", "klussen"], "posts_per_day": 9}
    slug, email = _slug(), f"beheer-{secrets.token_hex(3)}@example.org"
    done = post_form(
        staff_client,
        "/staff/new",
        {
            "name": "Nieuwe Wijk",
            "slug": slug,
            "type": "cooperative",
            "region": "Zwolle",
            "plan": "netwerk",
            "modules": ["board", "ledger"],
            "starter_kit": model.slug,
            "admin_email": email,
        },
    )
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and f"verstuurd naar {email}" in body
    link = body.split('<code class="link">')[1].split("<")[0]
    lab = _lab(engine, slug)
    assert (lab.status, lab.type, lab.region, lab.plan) == ("active", "cooperative", "Zwolle", "netwerk")
    with Session(engine) as session:
        settings = {r.module: r for r in session.scalars(select(ModuleSetting).where(ModuleSetting.tenant_id == lab.id))}
        invitation = session.scalars(select(Invitation).where(Invitation.tenant_id == lab.id)).one()
        mail = session.execute(
            text("SELECT args FROM jobs.procrastinate_jobs WHERE task_name = 'wijknet.send_email' AND args->>'to' = :to"),
            {"to": email},
        ).scalar_one()
    assert {m for m, r in settings.items() if r.enabled} == {"board", "ledger"}
    assert settings["board"].settings["categories"] == ["groen", "klussen"] and settings["board"].settings["posts_per_day"] == 9
    assert invitation.role == "admin" and invitation.email == email and link in mail["body"]
    assert _log(engine, slug) == ["tenant.created", "tenant.first_admin_invited", "tenant.starter_kit_applied"]
    # the invited admin signs in, accepts, and manages the lab with its modules
    with Session(engine) as session, session.begin():
        admin_id = ensure_user(session, email, "Nieuwe Beheerder").id
    admin = login_as(app.test_client(), admin_id)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert post_form(admin, "/" + path).status_code == 302
    modules_page = admin.get(f"/t/{slug}/admin/modules").get_data(as_text=True)
    assert modules_page.count("Uitzetten") == 2  # board and ledger are on


def test_suspend_resume_plan_and_model_are_logged(staff_client, engine, make_tenant, make_member):
    lab = make_tenant(modules=("board",))
    page = f"/staff/labs/{lab.slug}"
    assert post_form(staff_client, page, {"status": "suspended", "reason": "onderhoud"}, to=f"{page}/status").status_code == 302
    assert _lab(engine, lab.slug).status == "suspended"
    assert post_form(staff_client, page, {"status": "active"}, to=f"{page}/status").status_code == 302
    assert post_form(staff_client, page, {"on": "1"}, to=f"{page}/model").status_code == 302
    assert _lab(engine, lab.slug).is_model
    assert post_form(staff_client, page, {"plan": "buurt", "arranged": "on"}, to=f"{page}/plan").status_code == 302
    assert (_lab(engine, lab.slug).plan, _lab(engine, lab.slug).billing_status) == ("buurt", "none")
    with Session(engine) as session, session.begin():
        session.get(ModuleSetting, (lab.id, "contracts")).enabled = True
    refused = post_form(staff_client, page, {"plan": "buurt"}, to=f"{page}/plan")
    assert refused.status_code == 400 and "contracts" in refused.get_data(as_text=True)
    assert _log(engine, lab.slug)[-4:] == ["tenant.suspended", "tenant.resumed", "tenant.model_set", "tenant.plan_changed"]
    log_page = staff_client.get(f"/staff/audit?lab={lab.slug}").get_data(as_text=True)
    assert "tenant.suspended" in log_page and "onderhoud" in log_page


def test_export_and_delete_need_the_typed_address_and_keep_an_export(staff_client, engine, make_tenant, app):
    lab = make_tenant(modules=("board",))
    page = f"/staff/labs/{lab.slug}"
    download = post_form(staff_client, page, to=f"{page}/export")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert json.loads(archive.read("manifest.json"))["tenant"]["slug"] == lab.slug
    refused = post_form(staff_client, f"{page}/delete", {"confirmation": "iets anders"})
    assert refused.status_code == 400 and "Er is niets verwijderd" in refused.get_data(as_text=True)
    assert _lab(engine, lab.slug).status == "active"
    deleted = post_form(staff_client, f"{page}/delete", {"confirmation": lab.slug})
    path = deleted.get_data(as_text=True).split('<code class="link">')[1].split("<")[0]
    assert deleted.status_code == 200 and os.path.exists(path) and path.startswith(app.extensions["wijknet"].settings.export_dir)
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("manifest.json"))["tenant"]["slug"] == lab.slug
    assert _lab(engine, lab.slug) is None
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": lab.schema_name}).first() is None
        assert conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": lab.role_name}).first() is None
    assert _log(engine, lab.slug)[-3:] == ["tenant.exported", "tenant.exported_before_delete", "tenant.deleted"]
    assert staff_client.get(page).status_code == 404


def test_staff_tokens_open_the_staff_api_and_nothing_else(app, engine, staff, make_tenant, make_member):
    lab = make_tenant(modules=("board",))
    member = make_member(lab, "admin")
    with Session(engine) as session, session.begin():
        staff_token = create_staff_token(session, user=session.get(User, staff), name="script")[1]
        lab_token = create_token(session, tenant_id=lab.id, user=session.get(User, member), name="lab")[1]
        with pytest.raises(TokenError, match="Only network staff"):
            create_staff_token(session, user=session.get(User, member), name="poging")
    client = app.test_client()
    as_staff = {"Authorization": f"Bearer {staff_token}"}
    listed = client.get("/api/v1/staff/labs", query_string={"q": lab.slug}, headers=as_staff)
    assert listed.status_code == 200 and [row["slug"] for row in listed.json] == [lab.slug]
    assert listed.json[0]["members"] == 1 and listed.json[0]["modules"] == ["board"]
    assert client.get("/api/v1/staff/labs", headers={"Authorization": f"Bearer {lab_token}"}).status_code == 403
    assert client.get("/api/v1/staff/labs").status_code == 401
    assert client.get(f"/t/{lab.slug}/api/v1/members", headers=as_staff).status_code == 404  # no lab's API
    suspended = client.post(f"/api/v1/staff/labs/{lab.slug}/suspend", json={"reason": "api"}, headers=as_staff)
    assert suspended.status_code == 200 and suspended.json["status"] == "suspended"
    assert client.post(f"/api/v1/staff/labs/{lab.slug}/resume", headers=as_staff).json["status"] == "active"
    bad_plan = client.put(f"/api/v1/staff/labs/{lab.slug}/plan", json={"plan": "goud"}, headers=as_staff)
    assert bad_plan.status_code == 400 and bad_plan.json["code"] == "staff.plan_unknown" and "plan" in bad_plan.json["errors"]
    export = client.get(f"/api/v1/staff/labs/{lab.slug}/export", headers=as_staff)
    assert export.status_code == 200 and export.mimetype == "application/zip"
    assert client.get("/api/v1/staff/labs/bestaat-niet", headers=as_staff).status_code == 404
    log = client.get("/api/v1/staff/audit", query_string={"lab": lab.slug}, headers=as_staff).json
    assert [e["action"] for e in log][:3] == ["tenant.exported", "tenant.resumed", "tenant.suspended"]
    # a staff member who is no longer staff: the token stops working
    with Session(engine) as session, session.begin():
        session.get(User, staff).is_staff = False
    assert client.get("/api/v1/staff/labs", headers=as_staff).status_code == 403


def test_onboarding_and_delete_through_the_staff_api(app, engine, staff):
    with Session(engine) as session, session.begin():
        token = create_staff_token(session, user=session.get(User, staff), name="script")[1]
    client, headers, slug = app.test_client(), {"Authorization": f"Bearer {token}"}, _slug()
    assert client.get("/api/v1/staff/slug-check", query_string={"slug": slug}, headers=headers).json["available"] is True
    refused = client.post("/api/v1/staff/labs", json={"name": "X", "slug": slug, "admin_email": "nee"}, headers=headers)
    assert refused.status_code == 400 and refused.json["errors"]["admin_email"] and _lab(engine, slug) is None
    made = client.post(
        "/api/v1/staff/labs",
        json={
            "name": "Via de API",
            "slug": slug,
            "plan": "netwerk",
            "modules": ["board", "assets"],
            "admin_email": "a@example.org",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.json
    assert made.json["lab"]["modules"] == ["assets", "board"] and f"/t/{slug}/invitation/" in made.json["invitation_link"]
    again = client.post(
        "/api/v1/staff/labs", json={"name": "Nog eens", "slug": slug, "admin_email": "a@example.org"}, headers=headers
    )
    assert again.status_code == 400 and "slug" in again.json["errors"]
    not_confirmed = client.delete(f"/api/v1/staff/labs/{slug}", json={"confirmation": "nee"}, headers=headers)
    assert not_confirmed.status_code == 400 and _lab(engine, slug) is not None
    gone = client.delete(f"/api/v1/staff/labs/{slug}", json={"confirmation": slug}, headers=headers)
    assert gone.status_code == 200 and os.path.exists(gone.json["export_file"]) and _lab(engine, slug) is None


def test_last_activity_is_marked_by_signed_in_visits_at_most_every_few_minutes(app, engine, make_tenant, make_member, login_as):
    from wijknet.platform.tenancy import activity

    lab = make_tenant()
    member = login_as(app.test_client(), make_member(lab))
    app.test_client().get(f"/t/{lab.slug}/")  # a visitor does not count
    assert _lab(engine, lab.slug).last_activity_at is None
    activity._marked.pop(lab.id, None)
    assert member.get(f"/t/{lab.slug}/").status_code == 200
    first = _lab(engine, lab.slug).last_activity_at
    assert first is not None
    member.get(f"/t/{lab.slug}/members")
    assert _lab(engine, lab.slug).last_activity_at == first  # within the resolution: no second write


def test_staff_make_and_revoke_their_api_tokens_in_the_console(app, staff_client):
    made = post_form(staff_client, "/staff/tokens", {"name": "Nachtelijk script"})
    plaintext = made.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert app.test_client().get("/api/v1/staff/labs", headers=headers).status_code == 200
    listed = staff_client.get("/staff/tokens").get_data(as_text=True)
    assert "Nachtelijk script" in listed and plaintext not in listed
    token_id = listed.split("/staff/tokens/")[1].split("/")[0]
    assert post_form(staff_client, "/staff/tokens", to=f"/staff/tokens/{token_id}/revoke").status_code == 302
    assert app.test_client().get("/api/v1/staff/labs", headers=headers).status_code == 401
