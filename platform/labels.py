"""Translated labels for stored codes (tenant types, modules, roles)."""

from wijknet.platform.lazy_text import lazy_gettext as _l

TENANT_TYPE_LABELS = {
    "wijkbedrijf": _l("Neighbourhood company (wijkbedrijf)"),
    "cooperative": _l("Entrepreneurs' cooperative"),
    "social_cooperative": _l("Social cooperative"),
    "other": _l("Living lab"),
}

ROLE_LABELS = {
    "member": _l("member"),
    "moderator": _l("moderator"),
    "admin": _l("administrator"),
}


def module_label(code: str) -> str:
    """A module's label from its own record (the registry), the code if it is unknown."""
    from .modules import all_modules

    module = all_modules().get(code)
    return str(module.label) if module else code


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))


BILLING_STATUS_LABELS = {
    "none": _l("arranged with the network"),
    "trialing": _l("trial period"),
    "active": _l("paid"),
    "past_due": _l("payment overdue"),
    "canceled": _l("subscription ended"),
}
TENANT_STATUS_LABELS = {
    "provisioning": _l("being set up"),
    "active": _l("active"),
    "suspended": _l("suspended"),
    "deleting": _l("being deleted"),
}


def billing_status_label(code: str) -> str:
    return str(BILLING_STATUS_LABELS.get(code, code))


def tenant_status_label(code: str) -> str:
    return str(TENANT_STATUS_LABELS.get(code, code))
