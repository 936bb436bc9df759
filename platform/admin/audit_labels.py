"""What an entry of a lab's audit log means, in words (the admin's audit log page).

The platform's own actions are named here; each module names its own (Module.audit_events).
An action nobody named is shown by its code, so nothing is ever hidden."""

from __future__ import annotations

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..modules import all_modules

CORE_EVENTS = {
    "tenant.provisioned": _l("the living lab was set up"),
    "member.joined": _l("joined"),
    "member.rejoined": _l("joined again"),
    "member.role_changed": _l("got another role"),
    "member.left": _l("left"),
    "member.role_set": _l("changed someone's role"),
    "member.removed": _l("removed someone from the living lab"),
    "module.switched_on": _l("switched a module on"),
    "module.switched_off": _l("switched a module off"),
    "module.settings_changed": _l("changed a module's settings"),
    "lab.general_changed": _l("changed the name, text or look of the living lab"),
    "lab.exported": _l("downloaded an export of all data"),
    "billing.checkout_started": _l("started a subscription"),
    "billing.status_changed": _l("payment status changed"),
}
# Details worth showing next to the words; ids and references stay in the export.
SHOWN_DETAILS = ("module", "role", "old", "new", "plan", "changed")


def action_label(action: str) -> str:
    if action in CORE_EVENTS:
        return str(CORE_EVENTS[action])
    for module in all_modules().values():
        if action in module.audit_events:
            return str(module.audit_events[action])
    return action


def describe(action: str, detail: dict | None) -> dict:
    """{"label": words, "details": [(key, value), ...]} for one entry."""
    shown = []
    for key in SHOWN_DETAILS:
        value = (detail or {}).get(key)
        if value in (None, "", {}):
            continue
        if key == "changed" and isinstance(value, dict):
            value = ", ".join(sorted(value))
        shown.append((key, value))
    return {"label": action_label(action), "details": shown}
