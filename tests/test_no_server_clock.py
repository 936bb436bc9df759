"""A day in a living lab is the day in the lab's time zone (`tenant_today`), never the server's.

A test that compared with `date.today()` failed in CI between 23:00 and 24:00 UTC, when it
is already tomorrow in Amsterdam; code that did the same stamped contracts with yesterday.
This walks every module of the application and its tests and refuses the server-clock calls:
`date.today()`, `datetime.today()`, `datetime.utcnow()` and `datetime.now()` without a zone.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("platform", "tenants", "tests", "bench")
# The one place that turns the clock into a lab's day, and a benchmark's file-name date.
ALLOWED = {"tenants/core/time.py", "bench/run_all.py"}


def _server_clock_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        name = f"{owner_name}.{node.func.attr}"
        if name in {"date.today", "datetime.today", "datetime.utcnow"}:
            yield node.lineno, name + "()"
        elif name == "datetime.now" and not node.args and not node.keywords:
            yield node.lineno, "datetime.now() without a time zone"


def test_no_code_asks_the_server_for_today():
    found = []
    for folder in CHECKED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED or "/translations/" in relative:
                continue
            for line, call in _server_clock_calls(ast.parse(path.read_text(), relative)):
                found.append(f"{relative}:{line}: {call}")
    assert found == [], "use tenant_today() (or datetime.now(timezone.utc)):\n" + "\n".join(found)


def test_the_walk_finds_what_it_refuses():
    source = "from datetime import date, datetime\ndate.today()\ndatetime.now()\ndatetime.now(tz)\ndatetime.utcnow()\n"
    assert [line for line, _ in _server_clock_calls(ast.parse(source))] == [2, 3, 5]
