"""The test command `make mutate` gives cosmic-ray: the guard file's tests, those that reach
the mutated lines first (fastest first), then the rest.

    python tests/mutation/ordered.py <guard file> <lines.json> <test paths...>

Runs in the copy (var/mutate/src), where the mutant is the only change: `git diff` names
its lines. lines.json maps each line of the guard file to the node ids of the tests that
ran it in the baseline (by the original file's numbers), fastest first (written by run.py from a coverage run). A line no
test reached in-process (module level, or reached only by a command in a subprocess) puts
no test first: everything runs in its usual order."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", re.MULTILINE)


def changed_lines(diff: str) -> list[int]:
    """The lines of the original file that a `git diff -U0` changes (the guard file's line
    numbers as the baseline saw them); a pure insertion names the lines around it."""
    lines: list[int] = []
    for start, count in HUNK.findall(diff):
        first, n = int(start), int(count) if count != "" else 1
        lines += range(first, first + n) if n else [first, first + 1]
    return lines


def reaching_first(lines: list[int], reached: dict[str, list[str]]) -> list[str]:
    """The node ids reaching any of `lines`, in their order in `reached`, each once."""
    first: dict[str, None] = {}
    for line in lines:
        for nodeid in reached.get(str(line), []):
            first.setdefault(nodeid)
    return list(first)


def main(argv: list[str]) -> int:
    guard, lines_json, *tests = argv
    diff = subprocess.run(["git", "diff", "-U0", "--", guard], capture_output=True, text=True, check=True).stdout
    reached = json.loads(Path(lines_json).read_text()) if Path(lines_json).exists() else {}
    first = reaching_first(changed_lines(diff), reached)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(first))
    try:
        env = dict(os.environ, WIJKNET_MUTATION_FIRST=listing.name)
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header"]
        return subprocess.run([*command, "-p", "tests.mutation.plugin", *tests], env=env).returncode
    finally:
        os.unlink(listing.name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
