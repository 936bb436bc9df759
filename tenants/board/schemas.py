"""What people send to the board, one marshmallow schema per action, and the board's settings.

Pages, the API and the operations use the same schemas: the API through `@blp.arguments`
(a refusal is a 422 with a message per field), pages and the operations through `load()`
(a refusal is a BoardError with the same messages). Messages are plain text, translated;
`<` and the like are text, never refused (pages escape what they show).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TypedDict

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validates_schema
from marshmallow.experimental.context import Context

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.refusals import DomainError, field_messages

from .models import POST_KINDS, REACTION_KINDS

TITLE_MAX, BODY_MAX, MESSAGE_MAX, ORGANISATION_MAX, AREA_MAX, REASON_MAX = 120, 5000, 2000, 120, 60, 500
MAX_CATEGORIES = 5
MAX_DAYS_AHEAD = 366
DEFAULT_DAYS = 30
_POSTCODE = re.compile(r"^(\d{4})\s*([a-zA-Z]{2})?$")
# A neighbourhood's name: letters, spaces, hyphens, apostrophes, dots ('s-Gravenzande, Nieuw-West).
_PLACE = re.compile(r"^['’]?[^\W\d_]([^\W\d_]|[\s'’.\-])*$")


class BoardError(DomainError):
    code = "board"


# --- what a post must satisfy, given the board's categories and the lab's today -------------
class PostContext(TypedDict):
    categories: list[str]
    today: date


PostRules = Context[PostContext]


def _rules() -> PostContext:
    """The categories and today that apply: set by the operation, or (API parsing) the request's."""
    found = PostRules.get(None)
    if found is not None:
        return found
    from flask import g, has_request_context  # here: the settings schema is read by commands without Flask

    if has_request_context() and g.get("tenant") is not None:
        from wijknet.tenants.core.time import tenant_today

        from .access import board_settings

        return {"categories": board_settings()["categories"], "today": tenant_today()}
    raise RuntimeError("Validating a post needs the board's categories and today (PostRules).")


def _text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def clean_area(raw: str | None):
    """A Dutch postcode keeps its four digits (the neighbourhood); else a short place name."""
    raw = " ".join((raw or "").split())
    if not raw:
        return None, None
    postcode = _POSTCODE.match(raw)
    if postcode:
        return postcode.group(1), None
    if len(raw) > AREA_MAX or not _PLACE.match(raw):
        return None, _l("A postcode (1234 AB) or the name of a neighbourhood.")
    return raw.lower(), None


class PostIn(Schema):
    """A need or an offer, new or changed."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, metadata={"description": "need or offer"})
    title = fields.String(required=True)
    body = fields.String(required=True)
    categories = fields.List(fields.String(), required=True)
    organisation = fields.String(allow_none=True, load_default=None)
    area = fields.String(allow_none=True, load_default=None, metadata={"description": "Dutch postcode or neighbourhood"})
    valid_until = fields.String(allow_none=True, load_default=None, metadata={"description": "YYYY-MM-DD; default in 30 days"})

    @pre_load
    def _shape(self, data, **_kw):
        data = dict(data)
        for key in ("kind", "title", "body", "organisation", "area", "valid_until"):
            if key in data and data[key] is not None and not isinstance(data[key], str):
                data[key] = str(data[key])
        if isinstance(data.get("categories"), str):
            data["categories"] = [data["categories"]]
        for key in ("kind", "title", "body", "categories"):
            data.setdefault(key, "" if key != "categories" else [])
        return data

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data, **_kw):
        rules, errors = _rules(), {}
        kind = data.get("kind")
        if kind not in POST_KINDS:
            errors["kind"] = [_l("Choose: a need or an offer.")]
        title, body = (data.get("title") or "").strip(), (data.get("body") or "").strip()
        if not title:
            errors["title"] = [_l("Give your post a title.")]
        elif not 3 <= len(title) <= TITLE_MAX:
            errors["title"] = [_l("A title of 3 to %(max)d characters (now %(count)d).", max=TITLE_MAX, count=len(title))]
        if not body:
            errors["body"] = [_l("Describe what you need or offer.")]
        elif len(body) > BODY_MAX:
            errors["body"] = [_l("A description of at most %(max)d characters (now %(count)d).", max=BODY_MAX, count=len(body))]
        categories = _categories(data.get("categories"))
        if not categories or len(categories) > MAX_CATEGORIES:
            errors["categories"] = [_l("Choose 1 to %(max)d categories.", max=MAX_CATEGORIES)]
        elif any(c not in rules["categories"] for c in categories):
            errors["categories"] = [_l("Choose categories from the list.")]
        organisation = (data.get("organisation") or "").strip()
        if len(organisation) > ORGANISATION_MAX:
            errors["organisation"] = [_l("An organisation name of at most %(max)d characters.", max=ORGANISATION_MAX)]
        _area, area_error = clean_area(data.get("area"))
        if area_error:
            errors["area"] = [area_error]
        _until, until_error = clean_until(data.get("valid_until"), rules["today"])
        if until_error:
            errors["valid_until"] = [until_error]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _clean(self, data, **_kw):
        today = _rules()["today"]
        return {
            "kind": data["kind"],
            "title": data["title"].strip(),
            "body": data["body"].strip(),
            "categories": _categories(data["categories"]),
            "organisation": (data.get("organisation") or "").strip() or None,
            "area": clean_area(data.get("area"))[0],
            "valid_until": clean_until(data.get("valid_until"), today)[0],
        }


def _categories(raw) -> list[str]:
    return list(dict.fromkeys(c.strip() for c in (raw or []) if isinstance(c, str) and c.strip()))


def clean_until(raw, today: date):
    if raw in (None, ""):
        return today + timedelta(days=DEFAULT_DAYS), None
    if isinstance(raw, str):
        try:
            raw = date.fromisoformat(raw.strip())
        except ValueError:
            return None, _l("A date like 2026-12-31.")
    if raw < today:
        return None, _l("The date lies in the past.")
    if raw > today + timedelta(days=MAX_DAYS_AHEAD):
        return None, _l("At most a year ahead.")
    return raw, None


# --- the other actions --------------------------------------------------------------------
class MessageIn(Schema):
    """A message in a conversation (also the first one, with a reaction)."""

    class Meta:
        unknown = EXCLUDE

    message = fields.String(load_default="")

    @validates_schema
    def _check(self, data, **_kw):
        text = (data.get("message") or "").strip()
        if not text:
            raise ValidationError({"message": [_l("Write a message.")]})
        if len(text) > MESSAGE_MAX:
            raise ValidationError(
                {"message": [_l("A message of at most %(max)d characters (now %(count)d).", max=MESSAGE_MAX, count=len(text))]}
            )

    @post_load
    def _clean(self, data, **_kw):
        return {"message": data["message"].strip()}


class ReactionIn(MessageIn):
    """'Ik kan helpen' (help) or 'interesse' (interest), with a first message to the author."""

    kind = fields.String(load_default="", metadata={"description": "help or interest"})

    @validates_schema
    def _kind(self, data, **_kw):
        if data.get("kind") not in REACTION_KINDS:
            raise ValidationError({"kind": [_l("Choose: I can help, or I am interested.")]})

    @post_load
    def _clean(self, data, **_kw):
        return {"kind": data["kind"], "message": data["message"].strip()}


class ReportIn(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(load_default="")

    @validates_schema
    def _check(self, data, **_kw):
        if not 3 <= len((data.get("reason") or "").strip()) <= REASON_MAX:
            raise ValidationError({"reason": [_l("Say in 3 to 500 characters what is wrong.")]})

    @post_load
    def _clean(self, data, **_kw):
        return {"reason": data["reason"].strip()}


class HideIn(ReportIn):
    @validates_schema
    def _check(self, data, **_kw):
        if not 3 <= len((data.get("reason") or "").strip()) <= REASON_MAX:
            raise ValidationError({"reason": [_l("Give a reason of 3 to 500 characters; the author sees it.")]})


def load(schema: type[Schema], data, *, code: str, rules: PostContext | None = None) -> dict:
    """`schema` applied to `data`: the clean values, or a BoardError with a message per field."""
    try:
        if rules is not None:
            with PostRules(rules):
                return schema().load(data)
        return schema().load(data)
    except ValidationError as exc:
        errors = field_messages(exc.messages)
        first = next(iter(errors.values()))[0] if len(errors) == 1 else _l("Please correct the marked fields.")
        raise BoardError(first, code=code, errors=errors) from None
