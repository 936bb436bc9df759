"""The shipped fixtures of realistic posts, for the demo and the matching tests:
posts_nl.json (61 Dutch posts, the first round's) and matching_heldout.json (123 posts in
Dutch and English as residents write them, with the offer meant for each need or none)."""

from __future__ import annotations

import json
from importlib import resources


def load_fixture(name: str = "posts_nl.json") -> list[dict]:
    return json.loads((resources.files("wijknet.tenants.board") / "fixtures" / name).read_text("utf-8"))
