"""When a living lab is read-only (issue 12): suspended, or its payment overdue (or its trial
ended without a subscription) for longer than the grace period. The database switch and
the request guard agree; the platform's own upkeep still writes; paying, the export and
one's own tokens stay possible."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import InternalError
from sqlalchemy.orm import Session

from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.uow import tenant_unit_of_work

from ...support.forms import csrf

pytestmark = pytest.mark.tenancy
NOW = datetime.now(timezone.utc)


def _set(engine, lab, **values) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(Tenant).where(Tenant.id == lab.id).values(**values))


def _writable(engine, lab, *, system=False) -> bool:
    try:
        with tenant_unit_of_work(engine, lab, system=system) as session:
            session.execute(text("INSERT INTO audit_log (action) VALUES ('probe')"))
        return True
    except InternalError as exc:
        assert "read-only transaction" in str(exc)
        return False


@pytest.mark.parametrize(
    ("values", "writable"),
    [
        ({"billing_status": "active"}, True),
        ({"billing_status": "none"}, True),
        ({"billing_status": "past_due", "past_due_since": NOW - timedelta(days=13)}, True),  # within 14 days
        ({"billing_status": "past_due", "past_due_since": NOW - timedelta(days=15)}, False),
        ({"billing_status": "canceled", "past_due_since": NOW - timedelta(days=15)}, False),
        ({"billing_status": "trialing", "trial_ends_at": NOW - timedelta(days=15)}, False),  # trial over, nothing bought
        ({"billing_status": "trialing", "trial_ends_at": NOW - timedelta(days=15), "stripe_subscription_id": "sub_1"}, True),
        ({"billing_status": "trialing", "trial_ends_at": NOW + timedelta(days=30)}, True),
        ({"status": "suspended"}, False),
    ],
)
def test_the_database_switch_knows_when_a_lab_is_read_only(engine, make_tenant, values, writable):
    lab = make_tenant()
    _set(engine, lab, **values)
    assert _writable(engine, lab) is writable
    assert _writable(engine, lab, system=True)  # the platform's own upkeep (membership copies, audit) goes on


def test_the_grace_period_comes_from_configuration(engine, make_tenant):
    lab = make_tenant()
    _set(engine, lab, billing_status="past_due", past_due_since=NOW - timedelta(days=3))
    assert _writable(engine, replace(lab, grace_days=14))
    assert not _writable(engine, replace(lab, grace_days=2))


def test_the_cached_lab_says_the_same():
    from wijknet.platform.tenancy.uow import TenantRef

    base = TenantRef(1, "lab", "Lab", "other", "", "", "pilot", "active", "t_1", "r_1", grace_days=14)
    assert not base.read_only and base.writable_until is None and not base.billing_locked
    recent = replace(base, overdue_since=NOW - timedelta(days=13))
    assert recent.writable_until == recent.overdue_since + timedelta(days=14)
    assert not recent.billing_locked and not recent.read_only
    late = replace(base, overdue_since=NOW - timedelta(days=15))
    assert late.billing_locked and late.read_only
    assert replace(base, status="suspended").read_only and not replace(base, status="suspended").billing_locked


def test_a_read_only_lab_refuses_writes_but_not_paying_exporting_or_tokens(app, engine, make_tenant, make_member, login_as):
    lab = make_tenant(modules=("board",))
    admin = login_as(app.test_client(), make_member(lab, "admin"))
    token = csrf(admin, f"/t/{lab.slug}/admin/general")
    _set(engine, lab, billing_status="past_due", past_due_since=NOW - timedelta(days=20))
    refused = admin.post(f"/t/{lab.slug}/admin/general", data={"csrf_token": token, "name": "Nieuw"})
    assert refused.status_code == 423 and "achterstallig" in refused.get_data(as_text=True)
    assert admin.post(f"/t/{lab.slug}/admin/export", data={"csrf_token": token}).status_code == 200
    assert admin.post(f"/t/{lab.slug}/tokens/", data={"csrf_token": token, "name": "t"}).status_code == 200
    assert admin.post(f"/t/{lab.slug}/admin/billing/portal", data={"csrf_token": token}).status_code != 423
    _set(engine, lab, billing_status="active", past_due_since=None, status="suspended")
    suspended = admin.post(f"/t/{lab.slug}/admin/general", data={"csrf_token": token, "name": "Nieuw"})
    assert suspended.status_code == 423 and "opgeschort" in suspended.get_data(as_text=True)
    assert admin.post(f"/t/{lab.slug}/admin/export", data={"csrf_token": token}).status_code == 200
    assert admin.get(f"/t/{lab.slug}/admin/general").status_code == 200  # reading goes on


def test_the_switch_alone_is_not_the_platforms_upkeep(engine, make_tenant):
    """switch_to_tenant without `system` (as provisioning calls it) keeps a suspended lab read-only."""
    from wijknet.platform.tenancy.uow import switch_to_tenant

    lab = make_tenant()
    _set(engine, lab, status="suspended")
    with engine.connect() as conn, conn.begin():
        switch_to_tenant(conn, lab)
        assert conn.execute(text("SHOW transaction_read_only")).scalar() == "on"


def test_a_cached_lab_cannot_be_changed_and_its_settings_are_not_its_identity():
    """The directory hands the same TenantRef to every request of a process: nobody may change
    it. Two refs of one lab are the same lab whatever settings they carry (and are hashable:
    a dict field in the hash would make them unhashable)."""
    from dataclasses import FrozenInstanceError

    from wijknet.platform.tenancy.uow import TenantRef

    base = TenantRef(1, "lab", "Lab", "other", "", "", "pilot", "active", "t_1", "r_1", settings={"board": {"posts_per_day": 5}})
    with pytest.raises(FrozenInstanceError):
        base.status = "suspended"
    other_settings = replace(base, settings={"board": {"posts_per_day": 9}})
    assert other_settings == base and hash(other_settings) == hash(base) and len({base, other_settings}) == 1
    assert replace(base, status="suspended") != base


def test_a_tenant_session_is_not_the_platforms_upkeep_unless_it_says_so(engine, make_tenant):
    """A request's session (routing.tenant_db) is made without `system`: read-only for a suspended lab."""
    from wijknet.platform.tenancy.uow import TenantSession

    lab = make_tenant()
    _set(engine, lab, status="suspended")
    for kwargs, read_only in (({}, "on"), ({"system": True}, "off")):
        with TenantSession(engine, lab, **kwargs) as session, session.begin():
            assert session.execute(text("SHOW transaction_read_only")).scalar() == read_only
