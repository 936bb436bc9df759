from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.assets.operations import create_asset
from wijknet.tenants.core.models import Member

# A Saturday morning well ahead, in UTC (tests pass times with their offset).
SATURDAY = (datetime.now(timezone.utc) + timedelta(days=10)).replace(hour=8, minute=0, second=0, microsecond=0)
CAR = {
    "kind": "car",
    "name": "Deelauto Tarwewijk",
    "price_cents": 500,
    "price_unit": "hour",
    "km_price_cents": 25,
    "attributes": {"plate": "gv-123-x", "seats": 5, "fuel": "electric"},
}


@pytest.fixture
def asset_lab(make_tenant):
    return make_tenant(modules=("assets", "ledger"))


@pytest.fixture
def member_in(engine, make_member):
    """(user id, member row id) of a new member of `lab` with `role`."""

    def make(lab, role="member", name=None):
        user_id = make_member(lab, role, name=name)
        with tenant_unit_of_work(engine, lab) as session:
            return user_id, session.scalar(select(Member.id).where(Member.user_id == user_id))

    return make


@pytest.fixture
def car(engine, asset_lab, member_in):
    """A shared car in `asset_lab`, made by its admin; returns (asset id, admin member id)."""
    _user, admin = member_in(asset_lab, "admin", name="Anouk Admin")
    with tenant_unit_of_work(engine, asset_lab) as session:
        asset = create_asset(session, session.get(Member, admin), CAR)
        return asset.id, admin


def iso(moment: datetime) -> str:
    return moment.isoformat()
