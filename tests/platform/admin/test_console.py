"""Issue 12, the tenant admin console: name and branding (colour checked for contrast, logo
checked by content), members and roles, the data export, the audit log, plan limits, and
personal API tokens in the web UI. Refusals say why, per field, and change nothing."""

import gc
import io
import json
import warnings
import zipfile

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import ApiToken, Membership
from wijknet.platform.tenancy.models import ModuleSetting, Tenant

from ...support import images
from ...support.forms import csrf, post_form

pytestmark = pytest.mark.tenancy

PNG = images.png()
EN = {"Accept-Language": "en"}


def _row(engine, tenant) -> Tenant:
    with Session(engine) as session:
        row = session.get(Tenant, tenant.id)
        session.expunge(row)
        return row


@pytest.fixture
def lab(make_tenant, make_member, login_as, client):
    tenant = make_tenant(modules=("board",))
    admin = make_member(tenant, "admin")
    login_as(client, admin)
    return tenant, admin


def test_general_settings_and_branding_show_on_every_page(client, engine, lab):
    tenant, _admin = lab
    page = f"/t/{tenant.slug}/admin/general"
    saved = post_form(
        client,
        page,
        {
            "name": "Buurtlab Noord",
            "tagline": "Samen",
            "welcome_text": "Welkom!\n\nTweede alinea",
            "colour": "#7A1F5C",
            "logo": (io.BytesIO(PNG), "logo.png"),
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 200 and "Opgeslagen" in saved.get_data(as_text=True)
    row = _row(engine, tenant)
    assert (row.name, row.brand_colour, row.welcome_text) == ("Buurtlab Noord", "#7a1f5c", "Welkom!\n\nTweede alinea")
    home = client.get(f"/t/{tenant.slug}/").get_data(as_text=True)
    assert ":root { --green: #7a1f5c; }" in home
    assert f'src="/media/{row.logo_key}"' in home and "<p>Tweede alinea</p>" in home
    logo = client.get(f"/media/{row.logo_key}")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.headers["X-Content-Type-Options"] == "nosniff"
    assert images.size_of(logo.data) == (64, 32)  # the image, encoded again by us
    logo.close()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("colour", "#ffee00", "Te licht"),  # yellow: white text unreadable
        ("colour", "#7f7f7f", "Te licht"),  # mid grey: 4.0 against white
        ("colour", "rood", "Een kleur zoals"),
        ("name", "   ", "Een naam van 1 tot 120"),
        ("name", "x" * 121, "Een naam van 1 tot 120"),
        ("welcome_text", "x" * 2001, "Hoogstens 2000"),
    ],
)
def test_bad_general_settings_are_refused_per_field_and_change_nothing(client, engine, lab, field, value, message):
    tenant, _admin = lab
    before = _row(engine, tenant)
    form = {"name": "Nieuwe naam", "tagline": "", "welcome_text": "", "colour": "#0b5d3b", field: value}
    refused = post_form(client, f"/t/{tenant.slug}/admin/general", form)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and message in body and f'id="err-{field}"' in body
    after = _row(engine, tenant)
    assert (after.name, after.brand_colour, after.welcome_text) == (before.name, before.brand_colour, before.welcome_text)


@pytest.mark.parametrize(
    ("upload", "status", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", 415, "Alleen PNG"),
        (b"GIF89a" + b"\x00" * 10, 415, "Alleen PNG"),
        (PNG + b"\x00" * 600 * 1024, 413, "te groot"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 415, "beschadigd"),  # the signature of a PNG, nothing of one
        (PNG[: len(PNG) // 2], 415, "beschadigd"),  # cut off halfway
    ],
)
def test_a_logo_that_is_not_a_small_image_is_refused(client, engine, lab, upload, status, message):
    tenant, _admin = lab
    refused = post_form(
        client,
        f"/t/{tenant.slug}/admin/general",
        {"name": "Naam", "colour": "#0b5d3b", "logo": (io.BytesIO(upload), "logo.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == status and message in refused.get_data(as_text=True)
    assert _row(engine, tenant).logo_key is None and _row(engine, tenant).name != "Naam"
    with warnings.catch_warnings():  # werkzeug's test client leaves a large body's temporary file open
        warnings.simplefilter("ignore", ResourceWarning)
        del refused
        gc.collect()


def test_contrast_is_measured_as_wcag_says():
    from wijknet.platform.admin.operations import brand_contrast, contrast

    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#0b5d3b", "#ffffff") == pytest.approx(7.9, abs=0.1)
    assert brand_contrast("#767676") < 4.5 < contrast("#767676", "#ffffff")  # fine on white, not on the paper


def test_members_and_roles(client, engine, lab, make_member):
    tenant, admin = lab
    helper = make_member(tenant, "member", name="Wim Helper")
    page = f"/t/{tenant.slug}/admin/members"
    listed = client.get(page + "?q=helper").get_data(as_text=True)
    assert "Wim Helper" in listed and "1 lid" in listed
    assert "Niemand komt overeen" in client.get(page + "?q=zzz").get_data(as_text=True)
    changed = post_form(client, page, {"role": "moderator"}, to=f"/t/{tenant.slug}/admin/members/{helper}/role")
    assert changed.status_code == 302
    with Session(engine) as session:
        assert session.scalars(select(Membership.role).where(Membership.user_id == helper)).one() == "moderator"
    # the last administrator stays
    refused = post_form(client, page, {"role": "member"}, to=f"/t/{tenant.slug}/admin/members/{admin}/role")
    assert refused.status_code == 409 and "minstens één beheerder" in refused.get_data(as_text=True)
    bad = post_form(client, page, {"role": "koning"}, to=f"/t/{tenant.slug}/admin/members/{helper}/role")
    assert bad.status_code == 400
    removed = post_form(client, page, {}, to=f"/t/{tenant.slug}/admin/members/{helper}/remove")
    assert removed.status_code == 302
    with Session(engine) as session:
        assert session.scalars(select(Membership).where(Membership.user_id == helper)).one_or_none() is None
    audit = client.get(f"/t/{tenant.slug}/admin/audit").get_data(as_text=True)
    assert "heeft iemands rol gewijzigd" in audit and "heeft iemand uit het living lab verwijderd" in audit


def test_the_export_downloads_every_table(client, lab):
    tenant, _admin = lab
    page = f"/t/{tenant.slug}/admin/export"
    download = post_form(client, page)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.headers["Content-Disposition"].startswith(f'attachment; filename="{tenant.slug}-')
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["tenant"]["slug"] == tenant.slug
        assert {"members", "audit_log", "board_posts"} <= set(manifest["tables"])
        assert "csv/members.csv" in archive.namelist()
    assert "alle gegevens gedownload" in client.get(f"/t/{tenant.slug}/admin/audit").get_data(as_text=True)


def test_the_audit_log_pages(client, engine, lab):
    tenant, _admin = lab
    from wijknet.platform.tenancy.uow import tenant_unit_of_work
    from wijknet.tenants.core.operations import record

    with tenant_unit_of_work(engine, tenant) as session:
        for i in range(60):
            record(session, "board.post.created", post_id=i)
    first = client.get(f"/t/{tenant.slug}/admin/audit").get_data(as_text=True)
    assert "Pagina 1 van 2" in first and "plaatste een bericht" in first
    assert client.get(f"/t/{tenant.slug}/admin/audit?page=99").status_code == 302


def test_plan_limits_refuse_a_module_and_a_member_too_many(client, engine, make_tenant, make_member, login_as, monkeypatch):
    from wijknet.platform.billing import plans as plans_module
    from wijknet.platform.billing.plans import DEFAULT_PLANS, Plan
    from wijknet.platform.tenancy.operations import TenantActionError, add_member, ensure_user

    tiny = Plan("buurt", "Buurt", 2500, 30, ("board",), 2)
    monkeypatch.setattr(plans_module, "DEFAULT_PLANS", (DEFAULT_PLANS[0], tiny, DEFAULT_PLANS[2]))
    tenant = make_tenant(modules=("board",), plan="buurt")
    admin = make_member(tenant, "admin")
    login_as(client, admin)
    page = f"/t/{tenant.slug}/admin/modules"
    refused = post_form(client, page, {"module": "contracts", "on": "1"})
    assert refused.status_code == 409 and "bevat geen" in refused.get_data(as_text=True)
    with Session(engine) as session:
        assert not session.get(ModuleSetting, (tenant.id, "contracts")).enabled
    make_member(tenant)  # the second and last place
    with Session(engine) as session, session.begin():
        with pytest.raises(TenantActionError) as refused_member:
            add_member(session, session.get(Tenant, tenant.id), ensure_user(session, "derde@example.org"), "member")
    assert refused_member.value.code == "plan.member_limit"
    with Session(engine) as session:
        assert session.scalar(select(Membership.id).where(Membership.tenant_id == tenant.id).offset(2)) is None


def test_personal_tokens_are_made_shown_once_listed_and_revoked(client, engine, lab):
    tenant, admin = lab
    page = f"/t/{tenant.slug}/tokens/"
    made = post_form(client, page, {"name": "Spreadsheet"})
    body = made.get_data(as_text=True)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    plaintext = body.split('id="new-token">')[1].split("<")[0]
    assert plaintext.startswith("wkn_")
    me = client.get(f"/t/{tenant.slug}/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert me.status_code == 200 and me.json["user_id"] == admin
    listed = client.get(page).get_data(as_text=True)
    assert "Spreadsheet" in listed and plaintext not in listed  # shown once only
    refused = post_form(client, page, {"name": " "})
    assert refused.status_code == 400 and "1 tot 80 tekens" in refused.get_data(as_text=True)
    with Session(engine) as session:
        token_id = session.scalars(select(ApiToken.id).where(ApiToken.user_id == admin)).one()
    assert post_form(client, page, {}, to=f"{page}{token_id}/revoke").status_code == 302
    assert client.get(f"/t/{tenant.slug}/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 401


def test_a_member_cannot_revoke_someone_elses_token(client, app, engine, make_tenant, make_member, login_as):
    from wijknet.platform.identity.models import User
    from wijknet.platform.identity.tokens import create_token

    tenant = make_tenant()
    owner, other = make_member(tenant), make_member(tenant)
    with Session(engine) as session, session.begin():
        token, _plain = create_token(session, tenant_id=tenant.id, user=session.get(User, owner), name="mijn")
        token_id = token.id
    login_as(client, other)
    page = f"/t/{tenant.slug}/tokens/"
    assert post_form(client, page, {}, to=f"{page}{token_id}/revoke").status_code == 404
    with Session(engine) as session:
        assert session.get(ApiToken, token_id).revoked_at is None


def test_an_admin_of_one_lab_cannot_reach_another_labs_console(app, engine, make_tenant, make_member, login_as):
    from wijknet.platform.identity.models import User
    from wijknet.platform.identity.tokens import create_token

    a, b = make_tenant(), make_tenant()
    admin_a, member_b = make_member(a, "admin"), make_member(b)
    client = login_as(app.test_client(), admin_a)
    for path in ("", "general", "members", "modules", "modules/board", "billing", "export", "audit"):
        assert client.get(f"/t/{b.slug}/admin/{path}").status_code == 404, path
    token_a = csrf(client, f"/t/{a.slug}/admin/general")  # a valid form token, of the session in lab A
    for path, data in (("general", {"name": "Overgenomen"}), ("modules", {"module": "board", "on": "0"})):
        assert client.post(f"/t/{b.slug}/admin/{path}", data={"csrf_token": token_a, **data}).status_code == 404
    with Session(engine) as session, session.begin():
        api_token = create_token(session, tenant_id=a.id, user=session.get(User, admin_a), name="t")[1]
    assert client.get(f"/t/{b.slug}/api/v1/me", headers={"Authorization": f"Bearer {api_token}"}).status_code == 404
    assert _row(engine, b).name != "Overgenomen"
    member = login_as(app.test_client(), member_b)
    assert member.get(f"/t/{b.slug}/admin/").status_code == 404  # a member is no admin
    assert app.test_client().get(f"/t/{b.slug}/admin/").status_code == 302  # a visitor signs in first


def test_an_uploaded_photo_loses_its_gps_position_and_is_made_smaller(app):
    from wijknet.platform.storage import clean_image

    original = images.phone_jpeg()
    assert images.has_gps(original)
    cleaned, kind = clean_image(original, max_bytes=5 * 1024 * 1024, max_side=1600)
    assert kind == "jpg" and not images.has_gps(cleaned) and images.size_of(cleaned) == (1600, 1067)
