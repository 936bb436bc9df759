"""Text translated when it is shown, not when it is defined: `lazy_gettext` (imported as
`_l`, which `make messages` extracts) for the labels and messages that module records, rules
and forms define when Python imports them.

flask-babel has the same function, but importing flask-babel imports Flask, Jinja and
Werkzeug, and every `wijknet` command would pay for that on start (issue 18). The strings
made here behave like flask-babel's lazy strings (same operators, `__html__` included, so
templates and Flask's JSON treat them alike) and load flask-babel only when one is shown
inside the web app. Outside it, flask-babel would give the English text, and so does this,
without loading it.
"""

from __future__ import annotations

import sys


def translate(text: str, variables: dict) -> str:
    """`text` in the reader's language inside the web app; English (the source) elsewhere."""
    flask = sys.modules.get("flask")
    if flask is not None and flask.has_app_context():
        from flask_babel import gettext

        return gettext(text, **variables)
    return text % variables if variables else text


class LazyText:
    """A string whose language is chosen when it is used (the same methods as flask-babel's
    LazyString)."""

    __slots__ = ("_text", "_variables")

    def __init__(self, text: str, variables: dict):
        self._text = text
        self._variables = variables

    def __str__(self) -> str:
        return translate(self._text, self._variables)

    def __html__(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"l{str(self)!r}"

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy, pickle and friends must not see a str's dunders
            raise AttributeError(name)
        return getattr(str(self), name)

    def __len__(self) -> int:
        return len(str(self))

    def __getitem__(self, key):
        return str(self)[key]

    def __iter__(self):
        return iter(str(self))

    def __contains__(self, item) -> bool:
        return item in str(self)

    def __add__(self, other):
        return str(self) + other

    def __radd__(self, other):
        return other + str(self)

    def __mul__(self, other):
        return str(self) * other

    def __rmul__(self, other):
        return other * str(self)

    def __mod__(self, other):
        return str(self) % other

    def __eq__(self, other) -> bool:
        return str(self) == other

    def __ne__(self, other) -> bool:
        return str(self) != other

    def __lt__(self, other) -> bool:
        return str(self) < other

    def __le__(self, other) -> bool:
        return str(self) <= other

    def __gt__(self, other) -> bool:
        return str(self) > other

    def __ge__(self, other) -> bool:
        return str(self) >= other

    def __hash__(self) -> int:
        return hash(str(self))


def lazy_gettext(text: str, **variables) -> LazyText:
    return LazyText(text, variables)
