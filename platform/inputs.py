"""The one input layer: what every request must satisfy before a view sees it.

Bad input gets a clear 400 here (JSON for the API, a page otherwise) instead of a 500 from
the database later: integers beyond PostgreSQL's BIGINT, NUL characters (a text column
cannot hold them), lone surrogates (not UTF-8), JSON nested beyond reason, non-finite
numbers, absurd page numbers. Path ids are bounded by the `int` converter below; views
read numbers from forms with `bounded_int`, never with `int()`.
"""

from __future__ import annotations

import json
import math
import re

from flask import Flask, request
from flask_smorest import abort
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # PostgreSQL BIGINT
MAX_PAGE = 10_000
MAX_JSON_DEPTH = 32
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}")  # ASCII digits, at most BIGINT's 19


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond BIGINT matches no route (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


def bounded_int(value, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole number in [low, high] from form or query text, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not _WHOLE_NUMBER.fullmatch(text):  # not "--1", "١٢", "1.5" or a hundred digits
            return None
        number = int(text)
    return number if low <= number <= high else None


def bad_text(value: str) -> bool:
    return bool(_BAD_TEXT.search(value))


def _refuse(message: str, field: str) -> None:
    abort(400, message=message, errors={field: [message]})


def check_request() -> None:
    """before_request, right after the request's id is set (observability; a refused request
    is traced under its caller's id too) and before anything else: query, form and JSON body."""
    for key, value in request.args.items(multi=True):
        if bad_text(key) or bad_text(value):
            _refuse("The address contains characters that are not allowed (such as NUL).", "query")
    page = request.args.get("page", "")
    if page.isascii() and page.isdigit() and int(page) > MAX_PAGE and "/api/" in request.path:
        # (pages show the last page instead; a number that is no number is the API's own 422)
        abort(422, message="Invalid query.", errors={"query": {"page": [f"Must be between 1 and {MAX_PAGE}."]}})
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in request.form.items(multi=True):
                if bad_text(key) or bad_text(value):
                    _refuse("The form contains characters that are not allowed (such as NUL).", "form")
        elif request.is_json:
            _check_json(request.get_data(cache=True))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _check_json(raw: bytes) -> None:
    if not raw.strip():
        return
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        _refuse(f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels).", "json")
    except (ValueError, UnicodeDecodeError):
        _refuse("The body is not valid JSON.", "json")
    problem = json_problem(data)
    if problem:
        _refuse(problem, "json")


def json_problem(data) -> str | None:
    """Why a parsed JSON document cannot be taken, or None. Iterative: no recursion limit."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
        if isinstance(value, str):
            if bad_text(value):
                return "The JSON body contains characters that are not allowed (NUL or a lone surrogate)."
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if abs(value) > MAX_ID:
                return f"A number in the JSON body is too large (at most {MAX_ID})."
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value) > 1e15:
                return "A number in the JSON body is too large."
        elif isinstance(value, dict):
            for key, item in value.items():
                if bad_text(key):
                    return "The JSON body contains characters that are not allowed (NUL or a lone surrogate)."
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return None


def init_app(app: Flask) -> None:
    """Before any blueprint registers: routes are compiled with the bounded converter. After
    observability's init_app, before every other one that adds a before_request."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(check_request)
