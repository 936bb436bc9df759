"""Network staff's rules, through the operations (platform/staff/operations.py): only staff
act, every action names its lab in the staff log, a reason and a plan have their limits,
the slug check suggests the first free address, onboarding switches on the modules chosen,
and a deletion's export goes into a folder that may exist already (issue 19: survivors)."""

import os
import secrets

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import Membership, User
from wijknet.platform.staff.operations import (
    StaffError,
    change_plan,
    check_slug,
    delete_lab,
    onboard,
    require_staff,
    set_status,
)
from wijknet.platform.tenancy.models import ModuleSetting, StaffAuditEntry, Tenant
from wijknet.platform.tenancy.operations import ensure_user

from ...conftest import MIGRATIONS

pytestmark = pytest.mark.tenancy


@pytest.fixture
def staff(engine):
    with Session(engine) as session, session.begin():
        return ensure_user(session, f"staf-{secrets.token_hex(3)}@wijknet.example", "Sanne Staf", staff=True).id


def _detached(engine, user_id) -> User:
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, user_id)
        session.expunge(user)
        return user


def _refused(action) -> tuple[int, str, dict]:
    with pytest.raises(StaffError) as refused:
        action()
    return refused.value.status, refused.value.code, refused.value.errors


def test_only_staff_act(engine, make_tenant):
    with Session(engine) as session, session.begin():
        resident = ensure_user(session, f"bewoner-{secrets.token_hex(3)}@example.org", "Bewoner").id
    assert _refused(lambda: require_staff(_detached(engine, resident)))[:2] == (403, "staff.only")
    assert _refused(lambda: require_staff(None))[:2] == (403, "staff.only")
    lab = make_tenant()
    with Session(engine) as session, session.begin():
        refused = _refused(lambda: set_status(session, session.get(User, resident), lab.slug, "suspended"))
    assert refused[:2] == (403, "staff.only")
    with Session(engine) as session:
        assert session.get(Tenant, lab.id).status == "active"


def _status(engine, staff, lab, status, reason=""):
    with Session(engine) as session, session.begin():
        return set_status(session, session.get(User, staff), lab.slug, status, reason).status


def test_a_reason_is_at_most_500_characters_and_the_log_names_the_lab(engine, make_tenant, staff):
    lab = make_tenant()
    assert _status(engine, staff, lab, "suspended", "r" * 500) == "suspended"
    assert _status(engine, staff, lab, "active", None) == "active"
    status, code, errors = _refused(lambda: _status(engine, staff, lab, "suspended", "r" * 501))
    assert (status, code, list(errors)) == (400, "staff.reason_too_long", ["reason"])
    with Session(engine) as session:
        entries = session.scalars(select(StaffAuditEntry).where(StaffAuditEntry.tenant_id == lab.id).order_by(StaffAuditEntry.id))
        assert [(e.action, e.tenant_slug, e.detail.get("reason")) for e in entries if e.action.startswith("tenant.")][-2:] == [
            ("tenant.suspended", lab.slug, "r" * 500),
            ("tenant.resumed", lab.slug, None),
        ]


def test_a_lab_being_set_up_cannot_be_suspended(engine, make_tenant, staff):
    lab = make_tenant()
    with Session(engine) as session, session.begin():
        session.get(Tenant, lab.id).status = "provisioning"
    assert _refused(lambda: _status(engine, staff, lab, "suspended"))[:2] == (409, "staff.lab_busy")


def _members(engine, lab, count):
    with Session(engine) as session, session.begin():
        for _ in range(count):
            user = ensure_user(session, f"lid-{secrets.token_hex(4)}@example.org", "Lid")
            session.add(Membership(tenant_id=lab.id, user_id=user.id))


def test_a_plan_takes_a_lab_with_as_many_members_as_it_allows(engine, make_tenant, staff):
    lab = make_tenant(plan="netwerk")
    _members(engine, lab, 100)  # the pilot plan allows 100

    def to(plan):
        with Session(engine) as session, session.begin():
            return change_plan(session, session.get(User, staff), lab.slug, plan, billing_arranged=False).plan

    assert to("pilot") == "pilot"
    assert to("netwerk") == "netwerk"
    _members(engine, lab, 1)
    status, code, errors = _refused(lambda: to("pilot"))
    assert (status, code, list(errors)) == (400, "plan.member_limit", ["plan"])


def _taken(engine, slugs):
    """Addresses taken by registry rows alone (the slug check reads nothing else)."""
    with Session(engine) as session, session.begin():
        for slug in slugs:
            tag = secrets.token_hex(6)
            session.add(Tenant(slug=slug, name=slug, schema_name=f"t_taken_{tag}", role_name=f"taken_{tag}"))


def _check(engine, slug):
    with Session(engine) as session:
        return check_slug(session, slug)


def test_the_slug_check_suggests_the_first_free_address(engine):
    base = f"wijk-{secrets.token_hex(3)}"
    try:
        _taken(engine, [base])
        assert _check(engine, base)["suggestion"] == f"{base}-2"
        _taken(engine, [f"{base}-2"])
        assert _check(engine, base)["suggestion"] == f"{base}-3"
        _taken(engine, [f"{base}-{n}" for n in range(3, 49)])
        assert _check(engine, base)["suggestion"] == f"{base}-49"  # the last one tried
        _taken(engine, [f"{base}-49"])
        assert _check(engine, base)["suggestion"] is None
        long = f"lang-{secrets.token_hex(3)}-" + "x" * 28  # 40 characters, the most a slug has
        _taken(engine, [long])
        assert _check(engine, long)["suggestion"] == f"{long[:36]}-2"
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(Tenant).where(Tenant.schema_name.like("t_taken_%")))


def test_onboarding_switches_on_exactly_the_modules_chosen(app, engine, staff, prefix):
    slug = f"nieuw-{secrets.token_hex(3)}"
    raw = {"name": "Nieuw Lab", "slug": slug, "admin_email": "beheer@example.org", "modules": ["board", "assets"]}
    with app.app_context():
        done = onboard(
            engine,
            raw,
            staff=User(id=staff),
            role_prefix=prefix,
            migrations_dir=MIGRATIONS,
            public_url="https://wijknet.example",
        )
    with Session(engine) as session:
        enabled = session.scalars(
            select(ModuleSetting.module).where(ModuleSetting.tenant_id == done.tenant.id, ModuleSetting.enabled)
        ).all()
    assert sorted(enabled) == ["assets", "board"]


def test_deletions_export_into_a_folder_that_exists_already(engine, make_tenant, staff, tmp_path):
    folder = tmp_path / "exports"
    for _ in range(2):
        lab = make_tenant()
        path = delete_lab(engine, _detached(engine, staff), lab.slug, lab.slug, export_dir=str(folder))
        assert os.path.dirname(path) == str(folder) and os.path.getsize(path) > 0
    assert len(os.listdir(folder)) == 2
