"""Who may do what in a tenant. Fails closed: no tenant, no user or no membership, no access.

Pages answer an anonymous visitor with the login page and anyone without the role with
the same 404 as for a page that does not exist; the API answers 401 and 404.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..tenancy.routing import current_tenant, platform_db
from .models import Membership

ROLE_RANK = {"member": 1, "moderator": 2, "admin": 3}


def membership_of(session: Session, tenant_id: int, user_id: int | None) -> Membership | None:
    """The membership of `user_id` in `tenant_id`. The tenant is required: no cross-tenant reads."""
    if tenant_id is None or user_id is None:
        return None
    return session.scalars(
        select(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    ).one_or_none()


def current_membership() -> Membership | None:
    if "membership" not in g:
        user = g.get("user")
        g.membership = membership_of(platform_db(), current_tenant().id, user.id if user else None)
    return g.membership


def has_role(role: str) -> bool:
    membership = current_membership()
    return membership is not None and ROLE_RANK[membership.role] >= ROLE_RANK[role]
