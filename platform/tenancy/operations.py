"""Staff actions on tenants (one function per action). They write the staff audit log."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..db import locked
from ..identity.models import MEMBER_ROLES, Membership, User
from ..refusals import DomainError
from .models import PLANS, Domain, StaffAuditEntry, Tenant
from .names import normalise_host


class TenantActionError(DomainError):
    """A staff action that cannot be done; the message says why."""

    code = "tenant_action"
    status = 409


def get_tenant(session: Session, slug: str) -> Tenant:
    tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if tenant is None:
        raise TenantActionError(f"No living lab with slug {slug!r}.", code="tenant.not_found")
    return tenant


def set_tenant_status(session: Session, slug: str, status: str, *, actor: str, reason: str = "") -> Tenant:
    if status not in {"active", "suspended"}:
        raise TenantActionError(f"Unknown status {status!r}.", code="tenant.status_unknown")
    tenant = get_tenant(session, slug)
    if tenant.status == "provisioning":
        raise TenantActionError(
            f"{slug!r} is still being provisioned; run `wijknet tenants create` again to finish it.", code="tenant.provisioning"
        )
    if tenant.status != status:
        old = tenant.status
        tenant.status = status
        session.add(
            StaffAuditEntry(
                actor=actor,
                action="tenant.suspended" if status == "suspended" else "tenant.resumed",
                tenant_id=tenant.id,
                tenant_slug=slug,
                detail={"from": old, "reason": reason},
            )
        )
        session.flush()
    return tenant


def add_domain(session: Session, slug: str, host: str, *, actor: str) -> Domain:
    clean = normalise_host(host)
    if clean is None or ":" in clean:
        raise TenantActionError(f"{host!r} is not a host name.", code="tenant.host_invalid")
    tenant = get_tenant(session, slug)
    if session.scalar(select(Domain).where(Domain.host == clean)):
        raise TenantActionError(f"{clean} is already in use.", code="tenant.host_taken")
    domain = Domain(host=clean, tenant_id=tenant.id)
    session.add(domain)
    session.add(
        StaffAuditEntry(actor=actor, action="tenant.domain_added", tenant_id=tenant.id, tenant_slug=slug, detail={"host": clean})
    )
    session.flush()
    return domain


def ensure_user(session: Session, email: str, name: str | None = None, *, staff: bool = False) -> User:
    """The network user with this address, made when there is none (operators, the demo)."""
    from ..identity.operations import clean_email, network_user_by_email

    clean = clean_email(email)
    if clean is None:
        raise TenantActionError(f"{email!r} is not an email address.", code="tenant.email_invalid")
    user = network_user_by_email(session, clean)
    if user is None:
        user = User(email=clean, name=(name or clean.split("@")[0]).strip()[:120], is_staff=staff)
        session.add(user)
        session.flush()
    elif staff and not user.is_staff:
        user.is_staff = True
    return user


def add_member(platform: Session, tenant: Tenant, user: User, role: str, *, organisation: str | None = None) -> Membership:
    """Give `user` a role in `tenant`. The lab's own `members` row follows once the
    platform commits (tenancy/follow_up.py); the caller commits."""
    if role not in MEMBER_ROLES:
        raise TenantActionError(f"Role must be one of: {', '.join(MEMBER_ROLES)}.", code="tenant.role_invalid")
    if user.tenant_id is not None and user.tenant_id != tenant.id:
        raise TenantActionError(
            "This person signed in through another living lab's own sign-in service and can only be a member there.",
            code="tenant.other_lab_account",
        )
    _check_member_limit(platform, tenant, user)
    # One statement that cannot collide with itself: a double-submitted join or two
    # invitations accepted at once end in one membership.
    membership_id = platform.execute(
        pg_insert(Membership)
        .values(tenant_id=tenant.id, user_id=user.id, role=role, organisation=organisation)
        .on_conflict_do_update(index_elements=["tenant_id", "user_id"], set_={"role": role, "organisation": organisation})
        .returning(Membership.id)
    ).scalar_one()
    membership = platform.scalars(locked(select(Membership).where(Membership.id == membership_id))).one()
    from .follow_up import sync_after_commit  # the job queue: imported when a membership changes

    sync_after_commit(platform, tenant.id, user.id)
    return membership


def _check_member_limit(platform: Session, tenant: Tenant, user: User) -> None:
    """A new member beyond the plan's limit is refused; a role change never is. The lab's
    row is locked, so two people joining at once cannot both take the last place."""
    from ..billing.plans import load_plans

    limit = load_plans()[tenant.plan].max_members if tenant.plan in PLANS else None
    if limit is None:
        return
    member = Membership.tenant_id == tenant.id
    if platform.scalar(select(Membership.id).where(member, Membership.user_id == user.id)) is not None:
        return
    platform.scalars(locked(select(Tenant.id).where(Tenant.id == tenant.id))).one()
    if platform.scalar(select(func.count()).select_from(Membership).where(member)) >= limit:
        raise TenantActionError(
            _l(
                "This living lab has reached the %(num)d members its plan allows. An administrator can choose a larger plan.",
                num=limit,
            ),
            code="plan.member_limit",
        )


def remove_member(platform: Session, tenant: Tenant, user: User) -> bool:
    """End `user`'s membership of `tenant`; the lab keeps their row, marked as left."""
    gone = platform.execute(delete(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)).rowcount
    from .follow_up import sync_after_commit  # the job queue: imported when a membership changes

    sync_after_commit(platform, tenant.id, user.id)
    return bool(gone)
