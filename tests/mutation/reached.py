"""Which tests reach which line of a guard file, from the baseline's coverage run (run.py
calls this with the copy's Python, which has coverage):

    python tests/mutation/reached.py <coverage data> <durations.json> <guard file> <lines.json>

lines.json maps each line number to the node ids of the tests that ran it, fastest first."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from coverage import CoverageData


def reached(data_file: str, durations: dict[str, float], source: str) -> dict[str, list[str]]:
    data = CoverageData(basename=data_file)
    data.read()
    measured = next((f for f in data.measured_files() if Path(f).resolve() == Path(source).resolve()), None)
    if measured is None:
        return {}
    lines: dict[str, list[str]] = {}
    for line, contexts in data.contexts_by_lineno(measured).items():
        tests = {c for c in contexts if c}  # "" is import time: no test in particular
        lines[str(line)] = sorted(tests, key=lambda nodeid: (durations.get(nodeid, float("inf")), nodeid))
    return lines


def main(argv: list[str]) -> int:
    data_file, durations_json, source, out = argv
    durations = json.loads(Path(durations_json).read_text()) if Path(durations_json).exists() else {}
    Path(out).write_text(json.dumps(reached(data_file, durations, source)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
