"""Network staff's actions on living labs (SPEC §2.4), one function per action, called by
the staff console's pages, the staff API and (some) the CLI. Each is recorded in the staff
audit log with who did it ("staff:<email>")."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..billing.plans import load_plans
from ..db import contains_pattern, locked
from ..identity.joining import invite_first_admin
from ..identity.models import Membership, User
from ..refusals import DomainError
from ..tenancy.export import export_tenant
from ..tenancy.models import PLANS, ModuleSetting, StaffAuditEntry, Tenant
from ..tenancy.names import RESERVED_SLUGS, SLUG_RE
from ..tenancy.operations import get_tenant
from ..tenancy.provisioning import TenantSpec, drop_tenant, provision_tenant
from ..tenancy.starter_kit import load_starter_kit
from .schemas import check_onboarding


class StaffError(DomainError):
    code = "staff"


def actor_of(user: User) -> str:
    return f"staff:{user.email}"


def require_staff(user: User | None) -> None:
    if user is None or not user.is_staff:
        raise StaffError(_l("Only network staff can do this."), code="staff.only", status=403)


def _audit(session: Session, user: User, action: str, tenant: Tenant | None, **detail) -> None:
    session.add(
        StaffAuditEntry(
            actor=actor_of(user),
            action=action,
            tenant_id=tenant.id if tenant else None,
            tenant_slug=tenant.slug if tenant else None,
            detail=detail,
        )
    )


# --- the slug: checked as it is typed -----------------------------------------------------------
def slug_message(session: Session, slug: str) -> str | None:
    """Why `slug` cannot be a new lab's address (translated), or None when it can."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        return str(_l("3 to 40 characters: lowercase letters, digits and hyphens, starting with a letter."))
    if slug.endswith("-") or "--" in slug:
        return str(_l("No hyphen at the end and no two hyphens in a row."))
    if slug in RESERVED_SLUGS:
        return str(_l("This address is reserved for wijknet itself."))
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        return str(_l("Another living lab already has this address."))
    return None


def check_slug(session: Session, slug: str) -> dict:
    """{"slug", "available", "message", "suggestion"} for the wizard's live check."""
    slug = (slug or "").strip().lower()
    problem = slug_message(session, slug)
    suggestion = None
    if problem and SLUG_RE.fullmatch(slug) and slug not in RESERVED_SLUGS:
        for number in range(2, 50):
            candidate = f"{slug[:36]}-{number}"
            if slug_message(session, candidate) is None:
                suggestion = candidate
                break
    return {"slug": slug, "available": problem is None, "message": problem or str(_l("Available.")), "suggestion": suggestion}


# --- onboarding ---------------------------------------------------------------------------------
@dataclass
class Onboarded:
    tenant: Tenant
    invitation_link: str | None
    admin_email: str


def onboard(engine: Engine, raw: dict, *, staff: User, role_prefix: str, migrations_dir: str, public_url: str) -> Onboarded:
    """The wizard's one action: check everything, provision the lab (from a starter kit if
    chosen), invite its first administrator, and only then let it go live."""
    with Session(engine) as session:
        require_staff(session.get(User, staff.id))
        data = check_onboarding(session, raw)
        try:
            kit = load_starter_kit(session, data["starter_kit"]) if data["starter_kit"] else None
        except DomainError as exc:
            raise StaffError(
                _l("Please correct the marked fields."), code="staff.onboarding_invalid", errors=exc.errors
            ) from None
    modules = tuple(data["modules"]) if data["modules"] is not None else (kit.modules if kit else ("board",))
    outside = sorted(m for m in modules if not load_plans()[data["plan"]].allows_module(m))
    if outside:
        raise StaffError(
            _l("Please correct the marked fields."),
            code="staff.onboarding_invalid",
            errors={"modules": [_l("The chosen plan does not include: %(modules)s.", modules=", ".join(outside))]},
        )
    spec = TenantSpec(
        slug=data["slug"],
        name=data["name"],
        type=data["type"],
        region=data["region"],
        tagline=data["tagline"],
        plan=data["plan"],
        modules=modules,
    )
    if problems := spec.field_problems():  # the plan's module limits, among others
        raise StaffError(
            _l("Please correct the marked fields."), code="staff.onboarding_invalid", errors={k: [v] for k, v in problems.items()}
        )
    shown: dict = {}
    actor = actor_of(staff)

    def first_admin(session: Session, tenant: Tenant) -> None:
        shown["link"] = invite_first_admin(session, tenant, data["admin_email"], public_url=public_url, actor=actor)

    tenant = provision_tenant(
        engine,
        spec,
        role_prefix=role_prefix,
        migrations_dir=migrations_dir,
        actor=actor,
        first_admin=first_admin,
        starter_kit=kit,
    )
    if kit is not None:
        with Session(engine) as session, session.begin():
            _audit(session, staff, "tenant.starter_kit_applied", tenant, model=kit.model_slug)
    return Onboarded(tenant=tenant, invitation_link=shown.get("link"), admin_email=data["admin_email"])


# --- the list of labs ---------------------------------------------------------------------------
SORTS = {
    "name": lambda members: func.lower(Tenant.name),
    "slug": lambda members: Tenant.slug,
    "status": lambda members: Tenant.status,
    "members": lambda members: members,
    "activity": lambda members: Tenant.last_activity_at,
    "plan": lambda members: Tenant.plan,
    "billing": lambda members: Tenant.billing_status,
    "created": lambda members: Tenant.created_at,
}


def tenant_overview(
    session: Session, *, query: str, sort: str, descending: bool, limit: int, offset: int
) -> tuple[list[tuple[Tenant, int]], int]:
    """([(lab, member count)], total) matching `query` (name, slug or region), sorted."""
    members = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.tenant_id == Tenant.id)
        .correlate(Tenant)
        .scalar_subquery()
        .label("members")
    )
    where = []
    query = (query or "").strip()[:100]
    if query:
        pattern = contains_pattern(query)
        where.append(or_(Tenant.name.ilike(pattern), Tenant.slug.ilike(pattern), Tenant.region.ilike(pattern)))
    order = SORTS.get(sort, SORTS["name"])(members)
    order = order.desc().nulls_last() if descending else order.asc().nulls_first()
    total = session.scalar(select(func.count()).select_from(Tenant).where(*where))
    rows = session.execute(select(Tenant, members).where(*where).order_by(order, Tenant.id).limit(limit).offset(offset)).all()
    return [(tenant, count) for tenant, count in rows], total


def member_count(session: Session, tenant_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Membership).where(Membership.tenant_id == tenant_id))


def modules_of(session: Session, tenant_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for tenant_id, module in session.execute(
        select(ModuleSetting.tenant_id, ModuleSetting.module)
        .where(ModuleSetting.tenant_id.in_(tenant_ids), ModuleSetting.enabled)
        .order_by(ModuleSetting.module)
    ):
        found.setdefault(tenant_id, []).append(module)
    return found


# --- one lab ------------------------------------------------------------------------------------
def _lab(session: Session, slug: str) -> Tenant:
    tenant = session.scalars(locked(select(Tenant).where(Tenant.slug == slug))).one_or_none()
    if tenant is None:
        raise StaffError(_l("There is no living lab with this address."), code="staff.no_such_lab", status=404)
    return tenant


def set_status(session: Session, staff: User, slug: str, status: str, reason: str = "") -> Tenant:
    """Suspend (read-only, writes answer 423) or resume a lab."""
    require_staff(staff)
    tenant = _lab(session, slug)
    if status not in ("active", "suspended"):
        raise StaffError.on_field("status", _l("Choose active or suspended."), code="staff.status_invalid")
    if tenant.status not in ("active", "suspended"):
        raise StaffError(_l("This living lab is being set up or deleted."), code="staff.lab_busy", status=409)
    if len(reason or "") > 500:
        raise StaffError.on_field("reason", _l("At most 500 characters."), code="staff.reason_too_long")
    if tenant.status != status:
        old, tenant.status = tenant.status, status
        _audit(
            session,
            staff,
            "tenant.suspended" if status == "suspended" else "tenant.resumed",
            tenant,
            **{"from": old},
            reason=reason,
        )
        session.flush()
    return tenant


def set_model(session: Session, staff: User, slug: str, on: bool) -> Tenant:
    """Offer (or stop offering) a lab's set-up as a starter kit."""
    require_staff(staff)
    tenant = _lab(session, slug)
    if tenant.is_model != on:
        tenant.is_model = on
        _audit(session, staff, "tenant.model_set" if on else "tenant.model_unset", tenant)
        session.flush()
    return tenant


def change_plan(session: Session, staff: User, slug: str, plan_code: str, *, billing_arranged: bool) -> Tenant:
    """Put a lab on a plan; `billing_arranged`: paid outside Stripe (the network invoices
    it), so its billing state never makes it read-only. Refused when the lab already uses
    more than the plan allows."""
    require_staff(staff)
    tenant = _lab(session, slug)
    plans = load_plans()
    if plan_code not in PLANS:
        raise StaffError.on_field("plan", _l("Choose one of the plans."), code="staff.plan_unknown")
    plan = plans[plan_code]
    enabled = session.scalars(
        select(ModuleSetting.module).where(ModuleSetting.tenant_id == tenant.id, ModuleSetting.enabled)
    ).all()
    outside = sorted(m for m in enabled if not plan.allows_module(m))
    if outside:
        raise StaffError.on_field(
            "plan",
            _l("This plan does not include modules the lab uses: %(modules)s.", modules=", ".join(outside)),
            code="plan.module_not_included",
        )
    members = session.scalar(select(func.count()).select_from(Membership).where(Membership.tenant_id == tenant.id))
    if plan.max_members is not None and members > plan.max_members:
        raise StaffError.on_field(
            "plan",
            _l("The lab has %(members)d members; this plan allows %(limit)d.", members=members, limit=plan.max_members),
            code="plan.member_limit",
        )
    before = {"plan": tenant.plan, "billing": tenant.billing_status}
    tenant.plan = plan_code
    if billing_arranged:
        tenant.billing_status, tenant.past_due_since = "none", None
    elif tenant.billing_status == "none":
        tenant.billing_status = "trialing"  # back to Stripe: the trial clock restarts now
        tenant.trial_ends_at = datetime.now(timezone.utc)
    after = {"plan": tenant.plan, "billing": tenant.billing_status}
    if before != after:
        _audit(session, staff, "tenant.plan_changed", tenant, **{"from": before, "to": after})
        session.flush()
    return tenant


def export_lab(engine: Engine, staff: User, slug: str) -> tuple[bytes, str]:
    """The lab's export (zip) and a file name; recorded in the staff audit log."""
    require_staff(staff)
    payload, summary = export_tenant(engine, slug)
    with Session(engine) as session, session.begin():
        tenant = get_tenant(session, slug)
        _audit(session, staff, "tenant.exported", tenant, tables=len(summary.tables), bytes=summary.size)
    return payload, f"{slug}-{datetime.now(timezone.utc):%Y%m%d-%H%M}.zip"


def delete_lab(engine: Engine, staff: User, slug: str, confirmation: str, *, export_dir: str) -> str:
    """Delete a lab for good: only with its address typed as confirmation, and only after its
    export is written to `export_dir` (the path is returned and kept in the audit log)."""
    require_staff(staff)
    with Session(engine) as session:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
        if tenant is None:
            raise StaffError(_l("There is no living lab with this address."), code="staff.no_such_lab", status=404)
        session.expunge(tenant)
    if (confirmation or "").strip() != slug:
        raise StaffError.on_field(
            "confirmation",
            _l("Type the address of the living lab (%(slug)s) to confirm. Nothing was deleted.", slug=slug),
            code="staff.not_confirmed",
        )
    payload, _summary = export_tenant(engine, slug)
    os.makedirs(export_dir, exist_ok=True)
    path = os.path.join(export_dir, f"{slug}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-before-delete.zip")
    with open(path, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    with Session(engine) as session, session.begin():
        _audit(session, staff, "tenant.exported_before_delete", tenant, file=path, sha256=hashlib.sha256(payload).hexdigest())
    drop_tenant(engine, tenant, actor=actor_of(staff))
    return path


def staff_log(session: Session, *, limit: int, offset: int, slug: str | None = None) -> tuple[list[StaffAuditEntry], int]:
    where = [StaffAuditEntry.tenant_slug == slug] if slug else []
    total = session.scalar(select(func.count()).select_from(StaffAuditEntry).where(*where))
    rows = session.scalars(
        select(StaffAuditEntry).where(*where).order_by(StaffAuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, total
