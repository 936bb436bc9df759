"""A tenant admin's actions on the lab's modules: switch one on or off, change its settings.

They change the platform's registry (which modules a lab has, with which settings) and
record each change in the lab's own audit log after the platform commits (follow_up)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import locked
from ..errors import DomainError, field_messages
from ..identity.joining import require_admin
from ..identity.models import User
from ..modules import get_module
from ..tenancy.follow_up import audit_after_commit
from ..tenancy.models import ModuleSetting, Tenant


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
        clean = module.settings().load(raw)
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
