"""Categories are stored as keys (`zorg`, `groen`, ...: the board's settings and each post
hold keys); people see a label in their language. The default keys have labels in Dutch
and English; a category a lab added itself is shown as the admin wrote it."""

from __future__ import annotations

from wijknet.platform.lazy_text import lazy_gettext as _l

LABELS = {
    "zorg": _l("Care"),
    "groen": _l("Gardens and green"),
    "klussen": _l("Odd jobs"),
    "vervoer": _l("Transport"),
    "voedsel": _l("Food"),
    "energie": _l("Energy"),
    "werk": _l("Work"),
    "leren": _l("Learning"),
}


def category_label(key: str) -> str:
    """The category's name in the current language (its key when the lab made it up)."""
    label = LABELS.get(key)
    return str(label) if label is not None else key
