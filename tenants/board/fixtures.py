"""The shipped Dutch fixture of realistic posts (fixtures/posts_nl.json), for the demo and tests."""

from __future__ import annotations

import json
from importlib import resources


def load_fixture() -> list[dict]:
    return json.loads((resources.files("wijknet.tenants.board") / "fixtures" / "posts_nl.json").read_text("utf-8"))
