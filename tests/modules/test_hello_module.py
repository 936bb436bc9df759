"""Issue 11: a module written in one folder (tests/modules/hello) works end to end with no
change in `platform/`: pages, API, a settings form derived from its schema, the on/off
switch (404 when off, data back when on), audit records, navigation and isolation."""

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.app import create_app
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.modules import registry
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.core.models import TenantAuditEntry

from .hello import module as hello

pytestmark = pytest.mark.tenancy


@pytest.fixture
def hello_app(environ, engine):
    forget = registry.register(hello)  # as an installed module's entry point would
    yield create_app(environ, engine=engine)
    forget()


def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _switch(client, lab, on):
    path = f"/t/{lab.slug}/admin/modules"
    return client.post(path, data={"csrf_token": _csrf(client, path), "module": "hello", "on": "1" if on else "0"})


def _token(engine, lab, user_id):
    with Session(engine) as session, session.begin():
        return {
            "Authorization": "Bearer " + create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name="t")[1]
        }


def test_a_module_of_its_own_folder_works_end_to_end(hello_app, engine, make_tenant, make_member, login_as):
    lab = make_tenant(modules=("board",))  # hello is known, but off
    admin, member = make_member(lab, "admin", name="Anna Admin"), make_member(lab, "member", name="Wim Wuif")
    admin_client = login_as(hello_app.test_client(), admin)
    member_client = login_as(hello_app.test_client(), member)
    headers = _token(engine, lab, member)

    assert member_client.get(f"/t/{lab.slug}/hello/").status_code == 404  # off: its pages and API are not there
    assert member_client.get(f"/t/{lab.slug}/api/v1/hello/waves", headers=headers).status_code == 404
    assert _switch(admin_client, lab, on=True).status_code == 302

    page = member_client.get(f"/t/{lab.slug}/hello/").get_data(as_text=True)
    assert "Hallo buren!" in page and "No waves yet." in page
    assert 'href="/t/%s/hello/"' % lab.slug in page  # in the navigation
    assert "Hello" in member_client.get(f"/t/{lab.slug}/").get_data(as_text=True)  # its tile on the home page
    assert (
        member_client.post(
            f"/t/{lab.slug}/hello/wave", data={"csrf_token": _csrf(member_client, f"/t/{lab.slug}/hello/")}
        ).status_code
        == 302
    )
    assert hello_app.test_client().post(f"/t/{lab.slug}/api/v1/hello/waves", headers=headers).status_code == 201
    waves = hello_app.test_client().get(f"/t/{lab.slug}/api/v1/hello/waves", headers=headers).json
    assert [w["name"] for w in waves] == ["Wim Wuif", "Wim Wuif"]

    # Settings: the form is derived from the module's schema; refused values change nothing.
    settings_path = f"/t/{lab.slug}/admin/modules/hello"
    form = admin_client.get(settings_path).get_data(as_text=True)
    assert 'name="greeting"' in form and 'type="number"' in form
    bad = admin_client.post(
        settings_path, data={"csrf_token": _csrf(admin_client, settings_path), "greeting": "x", "waves_shown": "99"}
    )
    assert bad.status_code == 400 and "2 to 60 characters." in bad.get_data(as_text=True)
    good = admin_client.post(
        settings_path, data={"csrf_token": _csrf(admin_client, settings_path), "greeting": "Goedemorgen!", "waves_shown": "1"}
    )
    assert good.status_code == 200
    page = member_client.get(f"/t/{lab.slug}/hello/").get_data(as_text=True)
    assert "Goedemorgen!" in page and page.count('class="wave"') == 1

    # Off again: gone from pages, API and navigation; on again: the waves are back.
    _switch(admin_client, lab, on=False)
    assert member_client.get(f"/t/{lab.slug}/hello/").status_code == 404
    assert hello_app.test_client().get(f"/t/{lab.slug}/api/v1/hello/waves", headers=headers).status_code == 404
    assert "/hello/" not in member_client.get(f"/t/{lab.slug}/").get_data(as_text=True)
    _switch(admin_client, lab, on=True)
    assert len(hello_app.test_client().get(f"/t/{lab.slug}/api/v1/hello/waves", headers=headers).json) == 1  # waves_shown=1

    # Audit: the waves, each switch and the settings change, in the lab's own log.
    with tenant_unit_of_work(engine, lab) as session:
        actions = session.scalars(select(TenantAuditEntry.action).order_by(TenantAuditEntry.id)).all()
    assert actions.count("hello.waved") == 2 and actions.count("module.switched_on") == 2
    assert actions.count("module.switched_off") == 1 and actions.count("module.settings_changed") == 1


def test_a_module_of_its_own_folder_is_isolated(hello_app, engine, make_tenant, make_member, login_as):
    lab, other = make_tenant(modules=("hello",)), make_tenant(modules=("hello",))
    make_member(lab)
    stranger = make_member(other, "admin")
    client = login_as(hello_app.test_client(), stranger)
    headers = _token(engine, other, stranger)
    assert client.get(f"/t/{lab.slug}/hello/").status_code == 404
    assert (
        client.post(f"/t/{lab.slug}/hello/wave", data={"csrf_token": _csrf(client, f"/t/{other.slug}/hello/")}).status_code == 404
    )
    assert hello_app.test_client().get(f"/t/{lab.slug}/api/v1/hello/waves", headers=headers).status_code == 404
    assert hello_app.test_client().post(f"/t/{lab.slug}/api/v1/hello/waves", headers=headers).status_code == 404
    anonymous = hello_app.test_client().get(f"/t/{lab.slug}/hello/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    with tenant_unit_of_work(engine, lab) as session:
        assert session.scalar(select(TenantAuditEntry.id).where(TenantAuditEntry.action == "hello.waved")) is None


def test_platform_has_no_line_about_hello():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "platform"
    assert not [p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".html") and "hello" in p.read_text().lower()]


def test_a_starter_kit_copies_the_modules_own_starter_data(hello_app, engine, make_tenant, make_member, login_as):
    """Issue 12: a new lab from a model lab's kit gets the model's module set and settings,
    and each module's hook copies its starter data (here: a note of the model's waves)."""
    from wijknet.platform.identity.models import User as PlatformUser
    from wijknet.platform.staff.operations import onboard
    from wijknet.platform.tenancy.lookups import tenant_ref
    from wijknet.platform.tenancy.models import ModuleSetting, Tenant
    from wijknet.platform.tenancy.operations import ensure_user

    from ..conftest import MIGRATIONS

    model = make_tenant(modules=("board", "hello"))
    waver = make_member(model)
    with tenant_unit_of_work(engine, model) as session:
        from wijknet.tenants.core.models import Member

        from .hello.operations import wave

        member = session.scalars(select(Member).where(Member.user_id == waver)).one()
        wave(session, member)
        wave(session, member)
    with Session(engine) as session, session.begin():
        session.get(Tenant, model.id).is_model = True
        session.get(ModuleSetting, (model.id, "hello")).settings = {"greeting": "Moi buren", "waves_shown": 3}
        staff = ensure_user(session, "kit-staf@wijknet.example", staff=True)
        session.flush()
        session.expunge(staff)
    slug = f"van-kit-{model.id}"
    with hello_app.test_request_context():
        done = onboard(
            engine,
            {"name": "Van het kit", "slug": slug, "starter_kit": model.slug, "admin_email": "kit@example.org", "plan": "netwerk"},
            staff=staff,
            role_prefix=hello_app.extensions["wijknet"].role_prefix,
            migrations_dir=MIGRATIONS,
            public_url="http://localhost",
        )
    with Session(engine) as session:
        rows = {r.module: r for r in session.scalars(select(ModuleSetting).where(ModuleSetting.tenant_id == done.tenant.id))}
        assert session.get(PlatformUser, staff.id).is_staff
    assert {m for m, r in rows.items() if r.enabled} == {"board", "hello"}  # the kit's modules: none were chosen
    assert rows["hello"].settings == {"greeting": "Moi buren", "waves_shown": 3}
    with tenant_unit_of_work(engine, tenant_ref(done.tenant, ("board", "hello"))) as session:
        copied = session.scalars(select(TenantAuditEntry.detail).where(TenantAuditEntry.action == "hello.kit_copied")).one()
        waves_copied = session.scalar(
            select(func.count()).select_from(TenantAuditEntry).where(TenantAuditEntry.action == "hello.waved")
        )
    assert copied == {"waves": 2} and waves_copied == 0  # starter data, never the model's content
