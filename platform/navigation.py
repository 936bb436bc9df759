"""A living lab's navigation, built from the modules it has switched on and what the
person's role lets them see (each module declares its entries: NavEntry)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, url_for
from flask_babel import gettext as _

from .modules import all_modules


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def tenant_navigation() -> list[NavItem]:
    tenant = g.get("tenant")
    if tenant is None:
        return []
    from wijknet.tenants.core.access import current_member, has_rank

    member = current_member() if g.get("user") is not None else None
    entries = [("tenant_core.home", _("Home"))]
    for module in all_modules().values():
        if module.name in tenant.modules:
            entries += [(e.endpoint, str(e.label)) for e in module.navigation if e.role is None or has_rank(member, e.role)]
    if has_rank(member, "member"):
        entries.append(("tenant_core.members", _("Members")))
    if has_rank(member, "admin"):
        entries.append(("admin.home", _("Manage")))
    return [NavItem(label, url_for(endpoint), request.endpoint == endpoint) for endpoint, label in entries]


def tenant_modules() -> list:
    """The modules switched on in this request's lab, as their records (for tiles)."""
    tenant = g.get("tenant")
    return [module for name, module in all_modules().items() if tenant is not None and name in tenant.modules]
