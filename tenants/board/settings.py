"""The board's module settings, changed by a tenant admin (visibility, approval, categories,
posting limit, days of warning before a post ends). Validated by the module's marshmallow
schema; every change is audited."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from wijknet.platform.identity.joining import require_admin
from wijknet.platform.tenancy.models import ModuleSetting, StaffAuditEntry, Tenant
from wijknet.tenants import MODULES

from .rules import BoardError


def change_board_settings(session: Session, tenant: Tenant, admin_user, raw: dict) -> dict:
    require_admin(session, tenant, admin_user)
    categories = [c.strip().lower() for c in str(raw.get("categories", "")).splitlines() if c.strip()]
    data = {
        "visibility": raw.get("visibility"),
        "approval_required": raw.get("approval_required") in (True, "on", "1", "true"),
        "posts_per_day": raw.get("posts_per_day"),
        "reminder_days": raw.get("reminder_days"),
        "categories": list(dict.fromkeys(categories)),
    }
    try:
        clean = MODULES["board"].settings_schema().load(data)
    except ValidationError as exc:
        raise BoardError(_l("Please correct the marked fields."), errors=exc.messages) from None
    row = session.get(ModuleSetting, (tenant.id, "board"))
    if row is None:
        raise BoardError(_l("The board is not switched on here."), status=404)
    before = dict(row.settings or {})
    row.settings = clean
    session.add(StaffAuditEntry(actor=f"user:{admin_user.id}", action="module.settings", tenant_id=tenant.id,
                                tenant_slug=tenant.slug, detail={"module": "board", "from": before, "to": clean}))
    session.flush()
    return clean
