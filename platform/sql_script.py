"""A SQL script as its statements: Citus passes a DDL command's text on to the workers as
one prepared statement, which takes a single command, so scripts go a statement at a time."""

from __future__ import annotations

import re

# A dollar-quoted body ($$ ... $$ or $tag$ ... $tag$) or a single-quoted string, each taken
# whole; or a semicolon outside both.
_TOKEN = re.compile(r"(\$[A-Za-z_]*\$).*?\1|'(?:[^']|'')*'|;", re.S)


def statements(script: str) -> list[str]:
    """The statements of `script`, without their semicolons and without empty ones."""
    found, start = [], 0
    for match in _TOKEN.finditer(script):
        if match.group(0) == ";":
            found.append(script[start : match.start()].strip())
            start = match.end()
    found.append(script[start:].strip())
    return [statement for statement in found if statement]
