"""A module's settings form, derived from its marshmallow schema: each field becomes an
input of the right kind, with the label and choices the schema declares in its metadata;
what comes back from the form is read into what the schema loads."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # checkbox, number, select, lines, text
    label: str
    choices: tuple = ()  # (value, label) for select
    minimum: int | None = None
    maximum: int | None = None


def form_fields(schema: type[Schema]) -> list[FormField]:
    found = []
    for name, field in schema().fields.items():
        label = str(field.metadata.get("label", name))
        if isinstance(field, fields.Boolean):
            found.append(FormField(name, "checkbox", label))
        elif isinstance(field, fields.Integer):
            bounds = next((v for v in _validators(field) if isinstance(v, validate.Range)), None)
            found.append(
                FormField(name, "number", label, minimum=getattr(bounds, "min", None), maximum=getattr(bounds, "max", None))
            )
        elif isinstance(field, fields.List):
            found.append(FormField(name, "lines", label))
        elif "choices" in field.metadata:
            found.append(FormField(name, "select", label, tuple((k, str(v)) for k, v in field.metadata["choices"].items())))
        else:
            found.append(FormField(name, "text", label))
    return found


def _validators(field) -> list:
    return list(field.validators)


def read_form(schema: type[Schema], form) -> dict:
    """The form's values as the schema loads them (checkboxes: on or absent; lists: one per line)."""
    data = {}
    for item in form_fields(schema):
        if item.kind == "checkbox":
            data[item.name] = form.get(item.name) == "on"
        elif item.kind == "lines":
            data[item.name] = [line.strip() for line in form.get(item.name, "").splitlines() if line.strip()]
        else:
            data[item.name] = form.get(item.name, "")
    return data


def form_values(schema: type[Schema], values: dict) -> dict:
    """Settings as the form shows them (lists as lines)."""
    shown = dict(values)
    for item in form_fields(schema):
        if item.kind == "lines" and isinstance(shown.get(item.name), list):
            shown[item.name] = "\n".join(shown[item.name])
    return shown
