"""The lab's copy of a platform membership (tenants/core/operations.py): what each sync and
each leave changes and which audit entry it writes — one entry per real change, none for a
sync that changes nothing."""

import pytest
from sqlalchemy import select

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.core.models import Member, TenantAuditEntry
from wijknet.tenants.core.operations import mark_left, sync_member

pytestmark = pytest.mark.tenancy
USER = 90_001  # a platform user id (the lab's copy has no foreign key to the platform)


@pytest.fixture
def lab(make_tenant):
    return make_tenant()


def _sync(engine, lab, **change):
    values = {"user_id": USER, "display_name": "Fatima", "role": "member", "organisation": None} | change
    with tenant_unit_of_work(engine, lab) as session:
        member = sync_member(session, **values)
        return member.id


def _state(engine, lab):
    """The member row and the member.* audit entries about it, oldest first."""
    with tenant_unit_of_work(engine, lab) as session:
        member = session.scalars(select(Member).where(Member.user_id == USER)).one_or_none()
        entries = session.scalars(
            select(TenantAuditEntry).where(TenantAuditEntry.action.like("member.%")).order_by(TenantAuditEntry.id)
        ).all()
        row = None if member is None else (member.display_name, member.role, member.organisation, member.left_at is not None)
        return row, [(e.action, {k: v for k, v in e.detail.items() if k != "member_id"}) for e in entries]


def test_a_first_sync_makes_the_member_and_records_the_joining(engine, lab):
    _sync(engine, lab, role="moderator", organisation="Buurthuis")
    assert _state(engine, lab) == (("Fatima", "moderator", "Buurthuis", False), [("member.joined", {"role": "moderator"})])


def test_a_sync_that_changes_nothing_writes_nothing(engine, lab):
    first = _sync(engine, lab)
    assert _sync(engine, lab) == first
    assert _state(engine, lab)[1] == [("member.joined", {"role": "member"})]


def test_a_new_name_or_organisation_is_copied_without_a_role_entry(engine, lab):
    _sync(engine, lab)
    _sync(engine, lab, display_name="Fatima B.", organisation="Bakkerij")
    assert _state(engine, lab) == (("Fatima B.", "member", "Bakkerij", False), [("member.joined", {"role": "member"})])


def test_a_new_role_is_copied_and_recorded_with_the_old_and_the_new(engine, lab):
    _sync(engine, lab)
    _sync(engine, lab, role="admin")
    row, entries = _state(engine, lab)
    assert row == ("Fatima", "admin", None, False)
    assert entries[1:] == [("member.role_changed", {"old": "member", "new": "admin"})]


def test_leaving_marks_the_row_once_and_rejoining_clears_it_once(engine, lab):
    _sync(engine, lab)
    with tenant_unit_of_work(engine, lab) as session:
        left = mark_left(session, user_id=USER)
        when = left.left_at
        assert when is not None
    with tenant_unit_of_work(engine, lab) as session:  # leaving again changes nothing
        assert mark_left(session, user_id=USER).left_at == when
    assert _state(engine, lab) == (("Fatima", "member", None, True), [("member.joined", {"role": "member"}), ("member.left", {})])
    _sync(engine, lab)  # back in the lab, same name and role
    _sync(engine, lab)  # a second sync of a member who is in: no second rejoin
    row, entries = _state(engine, lab)
    assert row == ("Fatima", "member", None, False)
    assert [action for action, _ in entries] == ["member.joined", "member.left", "member.rejoined"]
    assert entries[2][1] == {"role": "member"}


def test_leaving_without_a_copy_in_the_lab_is_nothing(engine, lab):
    with tenant_unit_of_work(engine, lab) as session:
        assert mark_left(session, user_id=USER) is None
    assert _state(engine, lab) == (None, [])
