"""Validation of what people write on the board: one function per field, clear messages."""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from wijknet.platform.errors import DomainError

from .models import POST_KINDS, REACTION_KINDS

TITLE_MAX, BODY_MAX, MESSAGE_MAX, ORGANISATION_MAX, AREA_MAX = 120, 5000, 2000, 120, 60
MAX_CATEGORIES = 5
MAX_DAYS_AHEAD = 366
DEFAULT_DAYS = 30
_POSTCODE = re.compile(r"^(\d{4})\s*([a-zA-Z]{2})?$")
# A neighbourhood's name: letters, spaces, hyphens, apostrophes, dots ('s-Gravenzande, Nieuw-West).
_PLACE = re.compile(r"^['’]?[^\W\d_]([^\W\d_]|[\s'’.\-])*$")


class BoardError(DomainError):
    code = "board"


def check_post(*, kind: str, title: str, body: str, categories: list[str], organisation: str | None, area: str | None,
               valid_until: date | str | None, allowed_categories: list[str], today: date) -> dict:
    """The cleaned fields of a post, or BoardError with a message per field."""
    errors: dict[str, list] = {}
    title, body = (title or "").strip(), (body or "").strip()
    if kind not in POST_KINDS:
        errors["kind"] = [_l("Choose: a need or an offer.")]
    if not title:
        errors["title"] = [_l("Give your post a title.")]
    elif len(title) < 3 or len(title) > TITLE_MAX:
        errors["title"] = [_l("A title of 3 to %(max)d characters (now %(count)d).", max=TITLE_MAX, count=len(title))]
    if not body:
        errors["body"] = [_l("Describe what you need or offer.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_l("A description of at most %(max)d characters (now %(count)d).", max=BODY_MAX, count=len(body))]
    categories = list(dict.fromkeys(c.strip() for c in (categories or []) if c and c.strip()))
    if not categories or len(categories) > MAX_CATEGORIES:
        errors["categories"] = [_l("Choose 1 to %(max)d categories.", max=MAX_CATEGORIES)]
    elif any(c not in allowed_categories for c in categories):
        errors["categories"] = [_l("Choose categories from the list.")]
    organisation = (organisation or "").strip() or None
    if organisation and len(organisation) > ORGANISATION_MAX:
        errors["organisation"] = [_l("An organisation name of at most %(max)d characters.", max=ORGANISATION_MAX)]
    area, area_error = clean_area(area)
    if area_error:
        errors["area"] = [area_error]
    until, until_error = clean_until(valid_until, today)
    if until_error:
        errors["valid_until"] = [until_error]
    if errors:
        raise BoardError(_l("Please correct the marked fields."), errors=errors)
    return {"kind": kind, "title": title, "body": body, "categories": categories, "organisation": organisation,
            "area": area, "valid_until": until}


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


def check_message(body: str) -> str:
    """Plain text; `<` and the like are fine (pages escape what they show)."""
    body = (body or "").strip()
    if not body:
        raise BoardError.on_field("message", _l("Write a message."))
    if len(body) > MESSAGE_MAX:
        raise BoardError.on_field("message", _l("A message of at most %(max)d characters (now %(count)d).", max=MESSAGE_MAX, count=len(body)))
    return body


def check_reaction_kind(kind: str) -> str:
    if kind not in REACTION_KINDS:
        raise BoardError.on_field("kind", _l("Choose: I can help, or I am interested."))
    return kind
