"""Network staff's rules, through the operations (platform/staff/operations.py): only staff
act, every action names its lab in the staff log, a reason and a plan have their limits,
the slug check suggests the first free address, onboarding switches on the modules chosen,
and a deletion's export goes into a folder that may exist already (issue 19: survivors)."""

import os
import secrets
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import Membership, User
from wijknet.platform.staff.operations import (
    StaffError,
    change_plan,
    check_slug,
    delete_lab,
    member_count,
    onboard,
    require_staff,
    set_status,
    staff_log,
    tenant_overview,
)
from wijknet.platform.tenancy.models import ModuleSetting, StaffAuditEntry, Tenant
from wijknet.platform.tenancy.operations import ensure_user

from ...conftest import MIGRATIONS

pytestmark = pytest.mark.tenancy


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


def test_an_unknown_lab_is_404_for_every_action(engine, staff, tmp_path):
    class Nowhere:
        slug = f"nergens-{secrets.token_hex(3)}"

    assert _refused(lambda: _status(engine, staff, Nowhere, "suspended"))[:2] == (404, "staff.no_such_lab")
    refused = _refused(lambda: delete_lab(engine, _detached(engine, staff), Nowhere.slug, Nowhere.slug, export_dir=str(tmp_path)))
    assert refused[:2] == (404, "staff.no_such_lab")


def test_the_staff_log_of_one_lab_and_of_all(engine, make_tenant, staff):
    one, other = make_tenant(), make_tenant()
    _status(engine, staff, one, "suspended")
    _status(engine, staff, other, "suspended")
    with Session(engine) as session:
        rows, total = staff_log(session, limit=50, offset=0, slug=one.slug)
        assert total == len(rows) >= 1 and {row.tenant_slug for row in rows} == {one.slug}
        everything = staff_log(session, limit=1000, offset=0)[1]
        assert everything > total and everything >= 2


def test_member_counts_and_the_overviews_search(engine, make_tenant, make_member):
    token = secrets.token_hex(3)
    base = token + "x" * 93  # 99 characters
    near = make_tenant(name=base + "z")
    exact = make_tenant(name=base + "x")  # 100 characters
    for _ in range(2):
        make_member(exact)
    make_member(near)

    def found(query):
        with Session(engine) as session:
            rows, total = tenant_overview(session, query=query, sort="name", descending=False, limit=50, offset=0)
            return total, {(tenant.slug, members) for tenant, members in rows}

    assert found(base + "x" + "zzz") == (1, {(exact.slug, 2)})  # searched for its first 100 characters
    assert found(base + "y" + "x") == (0, set())  # the 100th character counts
    with Session(engine) as session:
        assert (member_count(session, exact.id), member_count(session, near.id)) == (2, 1)


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


def test_billing_arranged_outside_stripe_and_back(engine, make_tenant, staff):
    lab = make_tenant()

    def to(plan, arranged):
        with Session(engine) as session, session.begin():
            tenant = change_plan(session, session.get(User, staff), lab.slug, plan, billing_arranged=arranged)
            return tenant.billing_status, tenant.trial_ends_at

    assert to("buurt", True)[0] == "none"  # invoiced by the network: never read-only for payment
    before = datetime.now(timezone.utc)
    status, trial_ends_at = to("buurt", False)
    assert status == "trialing" and before <= trial_ends_at <= datetime.now(timezone.utc)  # back to Stripe: its clock runs
    with Session(engine) as session, session.begin():
        session.get(Tenant, lab.id).billing_status = "active"
    assert to("netwerk", False)[0] == "active"  # paying through Stripe: left as it is


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
        assert _check(engine, base) == {"slug": base, "available": True, "message": "Available.", "suggestion": None}
        assert _check(engine, "staff")["suggestion"] is None  # reserved: no numbered variants of it
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


@pytest.mark.parametrize(("chosen", "enabled"), [(["board", "assets"], ["assets", "board"]), (None, ["board"])])
def test_onboarding_switches_on_exactly_the_modules_chosen_or_the_board(app, engine, staff, prefix, chosen, enabled):
    slug = f"nieuw-{secrets.token_hex(3)}"
    raw = {"name": "Nieuw Lab", "slug": slug, "admin_email": "beheer@example.org"} | ({"modules": chosen} if chosen else {})
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
        switched_on = session.scalars(
            select(ModuleSetting.module).where(ModuleSetting.tenant_id == done.tenant.id, ModuleSetting.enabled)
        ).all()
    assert sorted(switched_on) == enabled


def test_deletions_export_into_a_folder_that_exists_already(engine, make_tenant, staff, tmp_path):
    folder = tmp_path / "exports"
    for _ in range(2):
        lab = make_tenant()
        path = delete_lab(engine, _detached(engine, staff), lab.slug, lab.slug, export_dir=str(folder))
        assert os.path.dirname(path) == str(folder) and os.path.getsize(path) > 0
    assert len(os.listdir(folder)) == 2
