"""Who may use a living lab's pages and API, checked in one place for every view.

Every blueprint under `/t/<slug>/` (the core's, the platform's join and admin pages, every
module's) runs `check_access` before its views: a view is for members unless it says
otherwise with `@access(...)` (PUBLIC, `role("admin")`, or a module's own Policy, like the
board's readers). So a new view that forgets its check is closed, not open. A refusal is
the sign-in page for an anonymous visitor of a page, 401 for the API, and otherwise the
same 404 as a page that does not exist.

The platform membership is the authority (it is what an admin grants and takes away); the
lab's `members` row is its copy. A person without a platform membership is nobody here,
whatever the copy says (fail closed); a copy that lags behind (a sync that has not run
yet) is brought up to date on the spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, current_app, g, redirect, request, url_for
from sqlalchemy import bindparam, select

from wijknet.platform.identity.access import ROLE_RANK, current_membership
from wijknet.platform.tenancy.routing import current_tenant, tenant_db

from .models import Member
from .operations import sync_member


def current_member() -> Member | None:
    """The signed-in person's member row in this lab, or None (anonymous, or not a member)."""
    if "current_member" not in g:
        g.current_member = _load()
    return g.current_member


# Asked by every request of a member: built once, not per request.
_MEMBER_OF_USER = select(Member).where(Member.user_id == bindparam("user_id"))


def _load() -> Member | None:
    membership = current_membership()
    if membership is None:
        return None
    session = tenant_db()
    member = session.scalars(_MEMBER_OF_USER, {"user_id": membership.user_id}).one_or_none()
    in_step = (
        member is not None
        and member.left_at is None
        and (member.role, member.organisation) == (membership.role, membership.organisation)
    )
    if in_step:
        return member
    if current_tenant().read_only or _platform_wrote():
        # Cannot repair now: nothing can be written (suspended), or this request changes the
        # platform (e.g. a join) and a request commits one store; the follow-up of that
        # change makes the copy once the platform commits.
        return None
    return sync_member(
        session, user_id=membership.user_id, display_name=g.user.name, role=membership.role, organisation=membership.organisation
    )


def _platform_wrote() -> bool:
    session = g.get("platform_session")
    return session is not None and session.info.get("wrote", False)


def has_rank(member: Member | None, role: str) -> bool:
    return member is not None and ROLE_RANK.get(member.role, 0) >= ROLE_RANK[role]


@dataclass(frozen=True)
class Policy:
    """Who may open a view: `allows()` is asked in the request, after the person is known."""

    name: str
    allows: Callable[[], bool]


PUBLIC = Policy("public", lambda: True)
MEMBERS = Policy("members", lambda: current_member() is not None)


def role(name: str) -> Policy:
    if name not in ROLE_RANK:
        raise ValueError(name)
    return Policy(f"role:{name}", lambda: has_rank(current_member(), name))


def access(policy: Policy):
    """Decorate a view (or a MethodView method) with who may open it."""

    def decorate(view):
        view.access_policy = policy
        return view

    return decorate


def policy_of(view, method: str) -> Policy:
    cls = getattr(view, "view_class", None)
    if cls is not None:
        handler = getattr(cls, method.lower(), None) or (getattr(cls, "get", None) if method == "HEAD" else None)
        return getattr(handler, "access_policy", None) or getattr(cls, "access_policy", None) or MEMBERS
    return getattr(view, "access_policy", None) or MEMBERS


def check_access() -> None:
    """before_request of every blueprint under /t/<slug>/ (tenancy/routing.bind_tenant)."""
    if request.endpoint is None or request.routing_exception is not None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None or policy_of(view, request.method).allows():
        return
    refuse()


def refuse():
    if g.get("user") is None:
        if "/api/" in request.path:
            abort(401)
        abort(redirect(url_for("identity.login_page", next=request.full_path.rstrip("?"))))
    abort(404)
