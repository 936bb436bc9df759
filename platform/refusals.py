"""The domain's refusal, DomainError, and marshmallow's complaints turned into one.

Free of Flask and marshmallow on purpose: the operations and the `wijknet` command import
this, and a command must start without loading the web layer (issue 18). platform/errors.py turns a
DomainError into a JSON answer or a page; the command line turns it into a message and exit 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import marshmallow as ma


class DomainError(Exception):
    """A rule of the domain said no. Carries a stable code (`board.post_closed`: one per kind
    of refusal, what API clients test on), an HTTP status and a message.

    Messages are plain text: translated (lazy) strings are turned into `str` here, so a
    template escapes them like any other text (flask-babel's lazy strings would otherwise
    pass as already-safe HTML)."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, errors: dict | None = None):
        message = str(message)
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.errors = {field: [str(text) for text in texts] for field, texts in (errors or {}).items()}

    @classmethod
    def on_field(cls, field: str, message: str, **kw) -> "DomainError":
        """The error of one form field: its message is both the summary and the field's."""
        return cls(message, errors={field: [message]}, **kw)


def load_input(schema: ma.Schema, data, *, error: type[DomainError], code: str) -> dict:
    """`schema` applied to `data`: the clean values, or `error` (a DomainError) with a message
    per field; the summary is the one message, or "correct the marked fields"."""
    import marshmallow as ma

    from .lazy_text import lazy_gettext

    try:
        return schema.load(data)
    except ma.ValidationError as exc:
        errors = field_messages(exc.messages)
        first = next(iter(errors.values()))[0] if len(errors) == 1 else lazy_gettext("Please correct the marked fields.")
        raise error(first, code=code, errors=errors) from None


def field_messages(messages) -> dict[str, list[str]]:
    """marshmallow's messages (which may nest per list item) as one list of texts per field."""
    flat: dict[str, list[str]] = {}

    def walk(field, value):
        if isinstance(value, dict):
            for inner in value.values():
                walk(field, inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(field, inner)
        else:
            flat.setdefault(field, []).append(str(value))

    if isinstance(messages, dict):
        for field, value in messages.items():
            walk(field if field != "_schema" else "form", value)
    else:
        walk("form", messages)
    return flat
