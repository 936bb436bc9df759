"""The parts of `make mutate` that decide which tests a mutant meets first (no database)."""

from types import SimpleNamespace

from .ordered import changed_lines, reaching_first
from .plugin import pytest_collection_modifyitems, reorder

DIFF = """diff --git a/tenants/core/operations.py b/tenants/core/operations.py
--- a/tenants/core/operations.py
+++ b/tenants/core/operations.py
@@ -33 +33 @@ def sync_member(
-    if member.left_at is not None:
+    if member.left_at is None:
@@ -40,2 +40,0 @@ def sync_member(
-        old_role = member.role
-        member.display_name = display_name
@@ -50,0 +49,1 @@
+        pass
"""


def test_the_changed_lines_are_named_by_the_original_files_numbers():
    assert changed_lines(DIFF) == [33, 40, 41, 50, 51]
    assert changed_lines("") == []


def test_the_tests_reaching_a_changed_line_come_first_each_once_in_their_order():
    reached = {"33": ["t::fast", "t::slow"], "40": ["t::other", "t::fast"], "7": ["t::import"]}
    assert reaching_first([33, 40, 99], reached) == ["t::fast", "t::slow", "t::other"]
    assert reaching_first([99], reached) == []


def test_the_named_tests_move_to_the_front_and_the_rest_keep_their_order():
    items = [SimpleNamespace(nodeid=n) for n in ("a", "b", "c", "d", "e")]
    assert [i.nodeid for i in reorder(items, ["d", "missing", "b"])] == ["d", "b", "a", "c", "e"]
    assert [i.nodeid for i in reorder(items, [])] == ["a", "b", "c", "d", "e"]


def test_the_baselines_second_run_takes_the_tests_in_reverse_order(monkeypatch):
    items = [SimpleNamespace(nodeid=n) for n in ("a", "b", "c")]
    monkeypatch.delenv("WIJKNET_MUTATION_FIRST", raising=False)
    monkeypatch.delenv("WIJKNET_MUTATION_REVERSE", raising=False)
    pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items] == ["a", "b", "c"]
    monkeypatch.setenv("WIJKNET_MUTATION_REVERSE", "1")
    pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items] == ["c", "b", "a"]
