"""Staff actions on tenants (one function per action). They write the staff audit log."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.tenants.core.operations import sync_member

from ..identity.models import MEMBER_ROLES, Membership, User
from .models import Domain, StaffAuditEntry, Tenant
from .lookups import tenant_ref
from .names import normalise_host
from .uow import TenantSession


class TenantActionError(ValueError):
    """A staff action that cannot be done; the message says why."""


def get_tenant(session: Session, slug: str) -> Tenant:
    tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if tenant is None:
        raise TenantActionError(f"No living lab with slug {slug!r}.")
    return tenant


def set_tenant_status(session: Session, slug: str, status: str, *, actor: str, reason: str = "") -> Tenant:
    if status not in {"active", "suspended"}:
        raise TenantActionError(f"Unknown status {status!r}.")
    tenant = get_tenant(session, slug)
    if tenant.status == "provisioning":
        raise TenantActionError(f"{slug!r} is still being provisioned; run `wijknet tenants create` again to finish it.")
    if tenant.status != status:
        old = tenant.status
        tenant.status = status
        session.add(StaffAuditEntry(
            actor=actor, action="tenant.suspended" if status == "suspended" else "tenant.resumed",
            tenant_id=tenant.id, tenant_slug=slug, detail={"from": old, "reason": reason},
        ))
        session.flush()
    return tenant


def add_domain(session: Session, slug: str, host: str, *, actor: str) -> Domain:
    clean = normalise_host(host)
    if clean is None or ":" in clean:
        raise TenantActionError(f"{host!r} is not a host name.")
    tenant = get_tenant(session, slug)
    if session.scalar(select(Domain).where(Domain.host == clean)):
        raise TenantActionError(f"{clean} is already in use.")
    domain = Domain(host=clean, tenant_id=tenant.id)
    session.add(domain)
    session.add(StaffAuditEntry(actor=actor, action="tenant.domain_added", tenant_id=tenant.id, tenant_slug=slug, detail={"host": clean}))
    session.flush()
    return domain


def ensure_user(session: Session, email: str, name: str | None = None, *, staff: bool = False) -> User:
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise TenantActionError(f"{email!r} is not an email address.")
    user = session.scalars(select(User).where(func.lower(User.email) == email.lower())).one_or_none()
    if user is None:
        user = User(email=email, name=(name or email.split("@")[0]).strip(), is_staff=staff)
        session.add(user)
        session.flush()
    elif staff and not user.is_staff:
        user.is_staff = True
    return user


def add_member(platform: Session, tenant: Tenant, user: User, role: str, *, organisation: str | None = None) -> Membership:
    """Give `user` a role in `tenant` and sync the tenant's own members table.

    The tenant-side write runs in the tenant's unit of work on the same engine; the caller
    commits the platform session afterwards (a re-run repairs a half-done sync).
    """
    if role not in MEMBER_ROLES:
        raise TenantActionError(f"Role must be one of: {', '.join(MEMBER_ROLES)}.")
    membership = platform.scalars(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)
    ).one_or_none()
    if membership is None:
        membership = Membership(tenant_id=tenant.id, user_id=user.id, role=role, organisation=organisation)
        platform.add(membership)
    else:
        membership.role, membership.organisation = role, organisation
    platform.flush()
    with TenantSession(platform.get_bind(), tenant_ref(tenant, ())) as tenant_session, tenant_session.begin():
        sync_member(tenant_session, user_id=user.id, display_name=user.name, role=role, organisation=organisation)
    return membership
