"""Fields of a module's settings schema (tenants/<module>/settings.py), as the admin's form
reads them (platform/admin/settings_form.py). marshmallow only: commands import these
schemas for the defaults without the web layer (issue 18)."""

from __future__ import annotations

from marshmallow import fields, validate


def whole_number(*, default: int, low: int, high: int, message, label) -> fields.Integer:
    """A whole number from `low` to `high` (a number field in the form); anything else, out of
    range or not a number, is refused with the one `message`."""
    return fields.Integer(
        load_default=default,
        validate=validate.Range(low, high, error=message),
        error_messages={"invalid": message},
        metadata={"label": label},
    )
