"""Who is asking, as this living lab sees them: the member row of the signed-in person.

The platform membership is the authority (it is what an admin grants and takes away); the
lab's `members` row is its copy. A person without a platform membership is nobody here,
whatever the copy says (fail closed); a copy that lags behind (a sync that has not run
yet) is brought up to date on the spot.
"""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from wijknet.platform.identity.access import current_membership
from wijknet.platform.tenancy.routing import current_tenant, tenant_db

from .models import Member
from .operations import sync_member


def current_member() -> Member | None:
    if "current_member" not in g:
        g.current_member = _load()
    return g.current_member


def _load() -> Member | None:
    membership = current_membership()
    if membership is None:
        return None
    session = tenant_db()
    member = session.scalars(select(Member).where(Member.user_id == membership.user_id)).one_or_none()
    in_step = member is not None and member.left_at is None and (member.role, member.organisation) == (
        membership.role, membership.organisation)
    if in_step:
        return member
    if current_tenant().read_only:
        return None  # cannot repair now; nothing can be written anyway
    return sync_member(session, user_id=membership.user_id, display_name=g.user.name, role=membership.role,
                       organisation=membership.organisation)
