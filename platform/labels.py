"""Translated labels for stored codes (tenant types, modules, roles)."""
from flask_babel import lazy_gettext as _l

TENANT_TYPE_LABELS = {
    "wijkbedrijf": _l("Neighbourhood company (wijkbedrijf)"),
    "cooperative": _l("Entrepreneurs' cooperative"),
    "social_cooperative": _l("Social cooperative"),
    "other": _l("Living lab"),
}

MODULE_LABELS = {
    "board": _l("Businessbakkerij: needs and offers"),
    "assets": _l("Shared houses, cars and tools"),
    "contracts": _l("Wijkbedrijf contracts"),
    "ledger": _l("Neighbourhood ledger (wijkboekhouding)"),
}

ROLE_LABELS = {
    "member": _l("member"),
    "moderator": _l("moderator"),
    "admin": _l("administrator"),
}


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))
