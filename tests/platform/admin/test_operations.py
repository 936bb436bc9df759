"""The tenant admin's rules, through the operations (platform/admin/operations.py): the lab's
name, tagline and colour within their limits, the logo made at most 512 pixels, WCAG
contrast computed right, and the last administrator kept (issue 19: survivors)."""

import os

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wijknet.platform.admin.operations import (
    ModuleError,
    brand_contrast,
    change_general,
    change_member_role,
    change_module_settings,
    contrast,
    remove_from_lab,
    switch_module,
)
from wijknet.platform.identity.models import Membership, User
from wijknet.platform.tenancy.models import ModuleSetting, Tenant
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.core.models import TenantAuditEntry

from ...support import images

pytestmark = pytest.mark.tenancy


@pytest.fixture
def lab(make_tenant):
    return make_tenant(name="Lab Oost")


def _general(app, engine, lab, admin_id, **change):
    values = {"name": "Lab Oost", "tagline": "", "welcome_text": "", "colour": ""} | change
    with app.app_context(), Session(engine) as session, session.begin():
        tenant = change_general(session, session.get(Tenant, lab.id), session.get(User, admin_id), **values)
        return tenant.name, tenant.tagline, tenant.logo_key


def _refused(action) -> tuple[int, str, dict]:
    with pytest.raises(ModuleError) as refused:
        action()
    return refused.value.status, refused.value.code, refused.value.errors


def test_the_labs_name_is_1_to_120_characters_and_its_tagline_is_kept(app, engine, lab, make_member):
    admin = make_member(lab, "admin")
    assert _general(app, engine, lab, admin, name="x" * 120, tagline="  Samen sterk in Oost  ")[:2] == (
        "x" * 120,
        "Samen sterk in Oost",
    )
    assert _general(app, engine, lab, admin, name="O")[0] == "O"
    for name in ("", "   ", "x" * 121):
        status, code, errors = _refused(lambda name=name: _general(app, engine, lab, admin, name=name))
        assert (status, code, list(errors)) == (400, "admin.general_invalid", ["name"])
    with Session(engine) as session:
        assert session.get(Tenant, lab.id).name == "O"  # a refusal changed nothing
    assert _general(app, engine, lab, admin, tagline="t" * 300, welcome_text="w" * 2000)[1] == "t" * 300
    for change, field in (({"tagline": "t" * 301}, "tagline"), ({"welcome_text": "w" * 2001}, "welcome_text")):
        assert list(_refused(lambda change=change: _general(app, engine, lab, admin, **change))[2]) == [field]


def _changes(engine, lab, action="lab.general_changed") -> list[dict]:
    with tenant_unit_of_work(engine, lab) as session:
        entries = session.scalars(select(TenantAuditEntry).where(TenantAuditEntry.action == action).order_by(TenantAuditEntry.id))
        return [entry.detail["changed"] for entry in entries]


def test_each_change_of_the_labs_face_is_audited_with_what_changed(app, engine, lab, make_member):
    admin = make_member(lab, "admin")
    _general(app, engine, lab, admin, name="Lab Oost")  # nothing changes: no entry
    _general(app, engine, lab, admin, name="Lab Oost-Zuid", tagline="Samen")
    logo = _general(app, engine, lab, admin, name="Lab Oost-Zuid", tagline="Samen", logo=images.png(40, 40))[2]
    assert _general(app, engine, lab, admin, name="Lab Oost-Zuid", tagline="Samen", colour="#707070")[2] == logo  # kept
    _general(app, engine, lab, admin, name="Lab Oost-Zuid", tagline="Samen", colour="#707070", remove_logo=True)
    assert _changes(engine, lab) == [
        {"name": {"from": "Lab Oost", "to": "Lab Oost-Zuid"}, "tagline": {"from": "", "to": "Samen"}},
        {"logo": {"from": None, "to": logo}},
        {"colour": {"from": None, "to": "#707070"}},
        {"logo": {"from": logo, "to": None}},
    ]


def test_module_settings_changes_are_audited_key_by_key_and_an_unknown_module_is_404(engine, lab, make_member):
    admin = make_member(lab, "admin")

    def change(name, raw):
        with Session(engine) as session, session.begin():
            return change_module_settings(session, session.get(Tenant, lab.id), session.get(User, admin), name, raw)

    defaults = change("board", {})
    change("board", {**defaults, "posts_per_day": defaults["posts_per_day"] + 1})
    assert _changes(engine, lab, "module.settings_changed") == [
        {"posts_per_day": {"from": defaults["posts_per_day"], "to": defaults["posts_per_day"] + 1}}
    ]
    with Session(engine) as session, session.begin(), pytest.raises(ModuleError) as refused:
        switch_module(session, session.get(Tenant, lab.id), session.get(User, admin), "no-such-module", on=True)
    assert (refused.value.status, refused.value.code) == (404, "module.unknown")


def test_a_logo_is_made_at_most_512_pixels_on_its_longest_side(app, engine, lab, make_member):
    admin = make_member(lab, "admin")
    for size, stored in (((600, 300), (512, 256)), ((512, 100), (512, 100)), ((513, 513), (512, 512))):
        key = _general(app, engine, lab, admin, logo=images.png(*size))[2]
        with open(os.path.join(app.extensions["wijknet"].settings.upload_dir, key), "rb") as saved:
            assert images.size_of(saved.read()) == stored


def test_a_logo_file_is_at_most_512_kib(app, engine, lab, make_member):
    admin = make_member(lab, "admin")
    small = images.png(64, 32)

    def padded(size: int) -> bytes:  # a whole PNG, then bytes the decoder ignores
        return small + b"\0" * (size - len(small))

    assert _general(app, engine, lab, admin, logo=padded(512 * 1024))[2]
    status, _code, errors = _refused(lambda: _general(app, engine, lab, admin, logo=padded(512 * 1024 + 1)))
    assert status == 413 and list(errors) == ["logo"]


def test_the_labs_colour_needs_wcag_aa_contrast_against_white_and_the_paper(app, engine, lab, make_member):
    admin = make_member(lab, "admin")
    assert brand_contrast("#707070") == pytest.approx(4.74, abs=0.01)  # just above 4.5: accepted
    _general(app, engine, lab, admin, colour="#707070")
    for colour in ("#747474", "#808080"):  # 4.48 and 3.78: refused
        status, _code, errors = _refused(lambda colour=colour: _general(app, engine, lab, admin, colour=colour))
        assert status == 400 and "minstens 4,5" in errors["colour"][0]
    with Session(engine) as session:
        assert session.get(Tenant, lab.id).brand_colour == "#707070"


def test_contrast_is_wcags():
    assert contrast("#ffffff", "#000000") == pytest.approx(21)
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.5422, abs=0.0001)  # the lightest grey AA allows on white
    assert contrast("#777777", "#ffffff") == pytest.approx(4.4781, abs=0.0001)
    assert contrast("#080808", "#000000") == pytest.approx(1.0486, abs=0.0001)  # a dark channel: the linear part of sRGB
    assert brand_contrast("#0b5d3b") == pytest.approx(min(contrast("#0b5d3b", "#ffffff"), contrast("#0b5d3b", "#fbfaf6")))


def _role(engine, lab, user_id) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(Membership.role).where(Membership.tenant_id == lab.id, Membership.user_id == user_id))


def test_the_last_administrator_stays_and_another_can_go(engine, lab, make_member):
    first = make_member(lab, "admin")
    for _ in range(2):  # members are no administrators: they do not count as one
        make_member(lab)

    def remove(actor, user_id):
        with Session(engine) as session, session.begin():
            remove_from_lab(session, session.get(Tenant, lab.id), session.get(User, actor), user_id)

    def demote(actor, user_id):
        with Session(engine) as session, session.begin():
            change_member_role(session, session.get(Tenant, lab.id), session.get(User, actor), user_id, "member")

    assert _refused(lambda: remove(first, first))[:2] == (409, "admin.last_admin")
    assert _refused(lambda: demote(first, first))[:2] == (409, "admin.last_admin")
    second = make_member(lab, "admin")
    demote(first, second)  # two administrators: one may step down ...
    assert _role(engine, lab, second) == "member"
    with Session(engine) as session, session.begin():
        change_member_role(session, session.get(Tenant, lab.id), session.get(User, first), second, "admin")
    remove(first, second)  # ... or go
    assert _role(engine, lab, second) is None and _role(engine, lab, first) == "admin"
    assert _refused(lambda: remove(first, second))[:2] == (404, "admin.not_a_member")
    assert _refused(lambda: demote(first, second))[:2] == (404, "admin.not_a_member")


def test_a_module_installed_after_the_lab_was_made_starts_switched_off(engine, lab, make_member):
    admin = make_member(lab, "admin")
    with Session(engine) as session, session.begin():
        session.execute(delete(ModuleSetting).where(ModuleSetting.tenant_id == lab.id, ModuleSetting.module == "ledger"))
    with Session(engine) as session, session.begin():
        change_module_settings(session, session.get(Tenant, lab.id), session.get(User, admin), "ledger", {})
    with Session(engine) as session:
        assert session.get(ModuleSetting, (lab.id, "ledger")).enabled is False
