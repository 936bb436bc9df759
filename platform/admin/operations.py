"""A tenant admin's actions: the lab's modules (on, off, settings), its name and branding,
its members' roles. They change the platform's registry and record each change in the
lab's own audit log after the platform commits (tenancy/follow_up.py)."""

from __future__ import annotations

import re

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..billing.plans import load_plans
from ..db import locked
from ..identity.joining import require_admin
from ..identity.models import MEMBER_ROLES, Membership, User
from ..modules import get_module
from ..refusals import DomainError, field_messages
from ..storage import clean_image, storage
from ..tenancy.follow_up import audit_after_commit
from ..tenancy.models import ModuleSetting, Tenant
from ..tenancy.operations import add_member, remove_member


class ModuleError(DomainError):
    code = "module"


def _row(session: Session, tenant: Tenant, name: str) -> ModuleSetting:
    try:
        module = get_module(name)
    except LookupError:
        raise ModuleError(_l("There is no such module."), status=404, code="module.unknown") from None
    row = session.scalars(
        locked(select(ModuleSetting).where(ModuleSetting.tenant_id == tenant.id, ModuleSetting.module == name))
    ).one_or_none()
    if row is None:  # a module added to the installation after the lab was made
        row = ModuleSetting(tenant_id=tenant.id, module=name, enabled=False, settings=module.default_settings())
        session.add(row)
        session.flush()
    return row


def switch_module(session: Session, tenant: Tenant, admin: User, name: str, *, on: bool) -> ModuleSetting:
    """Switch a module on or off. Off keeps its data: switched on again, it is all back."""
    require_admin(session, tenant, admin)
    row = _row(session, tenant, name)
    if on and not row.enabled and not load_plans()[tenant.plan].allows_module(name):
        raise ModuleError.on_field(
            "module",
            _l(
                "The plan of this living lab does not include %(module)s. Choose a larger plan under Plan and payment.",
                module=get_module(name).label,
            ),
            code="plan.module_not_included",
            status=409,
        )
    if row.enabled != on:
        row.enabled = on
        session.flush()
        audit_after_commit(
            session, tenant.id, "module.switched_on" if on else "module.switched_off", actor_user_id=admin.id, module=name
        )
    return row


def change_module_settings(session: Session, tenant: Tenant, admin: User, name: str, raw: dict) -> dict:
    """Validated by the module's own schema; nothing changes when anything is refused."""
    require_admin(session, tenant, admin)
    module = get_module(name)
    try:
        clean = module.settings_schema()().load(raw)
    except ValidationError as exc:
        raise ModuleError(
            _l("Please correct the marked fields."), code="module.settings_invalid", errors=field_messages(exc.messages)
        ) from None
    row = _row(session, tenant, name)
    before = module.settings_from(row.settings)
    if clean != before:
        row.settings = clean
        session.flush()
        changed = {key: {"from": before.get(key), "to": value} for key, value in clean.items() if before.get(key) != value}
        audit_after_commit(session, tenant.id, "module.settings_changed", actor_user_id=admin.id, module=name, changed=changed)
    return clean


# --- general settings and branding ------------------------------------------------------------
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5  # WCAG 2.1 AA for normal text
# The colour is the header's background under white text and the colour of links and
# buttons on the page's paper: it must read well against both.
WHITE, PAPER = "#ffffff", "#fbfaf6"
DEFAULT_COLOUR = "#0b5d3b"


def luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours (1 to 21)."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def brand_contrast(colour: str) -> float:
    return min(contrast(colour, WHITE), contrast(colour, PAPER))


def change_general(
    session: Session,
    tenant: Tenant,
    admin: User,
    *,
    name: str,
    tagline: str,
    welcome_text: str,
    colour: str,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> Tenant:
    """Name, tagline, welcome text, colour and logo of the lab; all checked, or nothing changes."""
    require_admin(session, tenant, admin)
    errors = {}
    name, tagline, welcome_text, colour = (
        (name or "").strip(),
        (tagline or "").strip(),
        (welcome_text or "").strip(),
        (colour or "").strip().lower(),
    )
    if not 1 <= len(name) <= 120:
        errors["name"] = [_l("A name of 1 to 120 characters.")]
    if len(tagline) > 300:
        errors["tagline"] = [_l("At most 300 characters.")]
    if len(welcome_text) > 2000:
        errors["welcome_text"] = [_l("At most 2000 characters.")]
    if colour == DEFAULT_COLOUR:
        colour = ""  # wijknet's own green: no colour of the lab's own
    if colour and not COLOUR.match(colour):
        errors["colour"] = [_l("A colour like #0b5d3b.")]
    elif colour and brand_contrast(colour) < MIN_CONTRAST:
        errors["colour"] = [
            _l(
                "Too light: white text on this colour is hard to read (contrast %(ratio).1f, at least 4.5 needed).",
                ratio=brand_contrast(colour),
            )
        ]
    logo_key, status = None, 400
    if logo:
        try:
            cleaned, kind = clean_image(logo, max_bytes=512 * 1024, max_side=512, field="logo")
            logo_key = storage().save(cleaned, kind)
        except DomainError as exc:
            errors.update(exc.errors)
            status = exc.status  # 413 too large, 415 not an image
    if errors:
        raise ModuleError(_l("Please correct the marked fields."), code="admin.general_invalid", errors=errors, status=status)
    before = {"name": tenant.name, "tagline": tenant.tagline, "welcome_text": tenant.welcome_text, "colour": tenant.brand_colour}
    tenant.name, tenant.tagline, tenant.welcome_text, tenant.brand_colour = name, tagline, welcome_text, colour or None
    logo_before = tenant.logo_key
    if logo_key:
        tenant.logo_key = logo_key
    elif remove_logo:
        tenant.logo_key = None
    session.flush()
    after = {"name": name, "tagline": tagline, "welcome_text": welcome_text, "colour": colour or None}
    changed = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
    if tenant.logo_key != logo_before:
        changed["logo"] = {"from": logo_before, "to": tenant.logo_key}
    if changed:
        audit_after_commit(session, tenant.id, "lab.general_changed", actor_user_id=admin.id, changed=changed)
    return tenant


# --- members and roles -------------------------------------------------------------------------
def _admins(session: Session, tenant: Tenant) -> int:
    return session.scalar(
        select(func.count()).select_from(Membership).where(Membership.tenant_id == tenant.id, Membership.role == "admin")
    )


def change_member_role(session: Session, tenant: Tenant, admin: User, user_id: int, role: str) -> Membership:
    require_admin(session, tenant, admin)
    membership = session.scalars(
        locked(select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user_id))
    ).one_or_none()
    if membership is None:
        raise ModuleError(_l("This person is not a member here."), code="admin.not_a_member", status=404)
    if role not in MEMBER_ROLES:
        raise ModuleError.on_field("role", _l("Choose a role: member, moderator or administrator."), code="admin.role_invalid")
    if membership.role == "admin" and role != "admin" and _admins(session, tenant) <= 1:
        raise ModuleError(_l("A living lab keeps at least one administrator."), code="admin.last_admin", status=409)
    before = membership.role
    if before != role:
        add_member(session, tenant, session.get(User, user_id), role, organisation=membership.organisation)
        audit_after_commit(session, tenant.id, "member.role_set", actor_user_id=admin.id, user_id=user_id, old=before, new=role)
    return membership


def remove_from_lab(session: Session, tenant: Tenant, admin: User, user_id: int) -> None:
    require_admin(session, tenant, admin)
    membership = session.scalars(
        locked(select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user_id))
    ).one_or_none()
    if membership is None:
        raise ModuleError(_l("This person is not a member here."), code="admin.not_a_member", status=404)
    if membership.role == "admin" and _admins(session, tenant) <= 1:
        raise ModuleError(_l("A living lab keeps at least one administrator."), code="admin.last_admin", status=409)
    remove_member(session, tenant, session.get(User, user_id))
    audit_after_commit(session, tenant.id, "member.removed", actor_user_id=admin.id, user_id=user_id)
