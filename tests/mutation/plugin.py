"""A pytest plugin for `make mutate` (loaded with `-p tests.mutation.plugin`, never by `make test`).

- `WIJKNET_MUTATION_COVER=<file>` (the baseline, under `coverage run`): each test's lines
  are recorded under its node id, so the run knows which tests reach which line, and each
  test's duration is written to the file (JSON), so the fastest of them can go first.
- `WIJKNET_MUTATION_FIRST=<file>` (a mutant): the tests named in the file (one node id a
  line) run first, in the file's order, the others after them as collected. With `-x` a
  mutant is usually killed by the first test instead of after the tests that never reach
  the changed line; a survivor still runs every test.
- `WIJKNET_MUTATION_REVERSE=1` (the baseline's second run): the tests in reverse order. The
  ordering above runs them in an order of its own, so a test that passes only after
  another would "kill" mutants it never reaches; the baseline refuses such tests first."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest


def first_tests() -> list[str]:
    path = os.environ.get("WIJKNET_MUTATION_FIRST")
    return Path(path).read_text().split() if path else []


def reorder(items: list, first: list[str]) -> list:
    """`items` with those whose node id is in `first` moved to the front, in `first`'s order."""
    rank = {nodeid: index for index, nodeid in enumerate(first)}
    front = sorted((item for item in items if item.nodeid in rank), key=lambda item: rank[item.nodeid])
    return front + [item for item in items if item.nodeid not in rank]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    first = first_tests()
    if first:
        items[:] = reorder(items, first)
    if os.environ.get("WIJKNET_MUTATION_REVERSE"):
        items.reverse()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not os.environ.get("WIJKNET_MUTATION_COVER"):
        yield
        return
    import coverage

    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    started = time.perf_counter()
    try:
        yield
    finally:
        _durations[item.nodeid] = time.perf_counter() - started
        if cov is not None:
            cov.switch_context("")


_durations: dict[str, float] = {}


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("WIJKNET_MUTATION_COVER")
    if path:
        Path(path).write_text(json.dumps(_durations))
