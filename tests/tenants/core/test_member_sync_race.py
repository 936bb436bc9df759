"""A membership synced into its lab by several transactions at once (a join submitted
twice, a job and a request) ends in one member row and no error: the insert is
insert-or-nothing, not read-then-insert (a double-submitted join once ended in a 500)."""

import threading

import pytest
from sqlalchemy import func, select

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.operations import sync_member

pytestmark = pytest.mark.tenancy


def test_concurrent_syncs_of_one_membership_make_one_member(engine, make_tenant):
    lab = make_tenant()
    barrier, errors = threading.Barrier(8), []

    def sync(i):
        try:
            with tenant_unit_of_work(engine, lab) as session:
                barrier.wait()
                sync_member(session, user_id=424242, display_name="Dubbel Klik", role="moderator" if i % 2 else "member")
        except Exception as exc:  # noqa: BLE001 - the test counts them
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with tenant_unit_of_work(engine, lab) as session:
        assert session.scalar(select(func.count()).select_from(Member).where(Member.user_id == 424242)) == 1
