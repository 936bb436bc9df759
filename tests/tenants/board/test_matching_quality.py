"""Matching quality on the board's two fixtures, through the real path: posts saved, read by
the matching job, suggestions asked from the database. Prints the figures that
docs/board-matching.md reports and holds the floors of issue 16.

matching_heldout.json was written for this (63 needs as residents write them: English and
Dutch, synonyms, compounds split and joined, typos, two-word posts, and 12 needs that no
offer fits; 60 offers, 12 of them meant for no need). `also` names a second offer that
answers a need just as well (two babysitters)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import text

from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.fixtures import load_fixture
from wijknet.tenants.board.matching import WEIGHTS, suggestions_for
from wijknet.tenants.board.wording import detect_language

pytestmark = pytest.mark.tenancy


@dataclass
class Figures:
    needs: int = 0
    top1: int = 0
    top3: int = 0
    reciprocal: float = 0.0
    no_match: int = 0
    no_match_silent: int = 0

    @property
    def mrr(self) -> float:
        return self.reciprocal / self.needs

    def line(self, label: str) -> str:
        silent = f"; needs nothing fits: {self.no_match_silent}/{self.no_match} get no suggestion" if self.no_match else ""
        return (
            f"{label}: top-1 {self.top1}/{self.needs}, top-3 {self.top3}/{self.needs} ({self.top3 / self.needs:.0%}),"
            f" MRR {self.mrr:.3f}{silent}"
        )


def measure(engine, tenant, ids, posts, *, area: bool) -> Figures:
    figures = Figures()
    weights = dict(WEIGHTS, area_weight=WEIGHTS["area_weight"] if area else 0.0)
    with tenant_unit_of_work(engine, tenant) as session:
        for need in (p for p in posts if p["kind"] == "need" and "match" in p):
            shown = [s.post.id for s in suggestions_for(session, ids[need["key"]], limit=50, weights=weights)]
            if need["match"] is None:
                figures.no_match += 1
                figures.no_match_silent += shown == []
                continue
            figures.needs += 1
            good = {ids[need["match"]], *(ids[k] for k in need.get("also", ()))}
            rank = next((i for i, post_id in enumerate(shown, 1) if post_id in good), None)
            if rank:
                figures.top1 += rank == 1
                figures.top3 += rank <= 3
                figures.reciprocal += 1 / rank
    return figures


def test_the_fixture_has_what_issue_16_asks(board_tenant):
    posts = load_fixture("matching_heldout.json")
    needs = [p for p in posts if p["kind"] == "need"]
    assert len(needs) >= 60 and sum(p["match"] is None for p in needs) >= 10
    language = {p["key"]: detect_language(p["title"] + " " + p["body"]) for p in posts}
    across = [p for p in needs if p["match"] and language[p["key"]] != language[p["match"]]]
    assert len(across) >= 8 and sum(language[p["key"]] == "en" for p in needs) >= 10


def test_matching_on_our_fixture(engine, board_tenant, seed_fixture):
    tenant = board_tenant()
    posts = load_fixture("matching_heldout.json")
    ids = seed_fixture(tenant, "matching_heldout.json")
    ignored = measure(engine, tenant, ids, posts, area=False)
    with_area = measure(engine, tenant, ids, posts, area=True)
    print("\nboard matching, our fixture, " + ignored.line("area ignored") + "\n  " + with_area.line("with area"))
    assert ignored.top3 / ignored.needs >= 0.90 and ignored.mrr >= 0.85
    assert ignored.no_match_silent / ignored.no_match >= 0.80


def test_matching_on_the_first_fixture(engine, board_tenant, seed_fixture):
    tenant = board_tenant()
    posts = load_fixture()
    ids = seed_fixture(tenant)
    ignored = measure(engine, tenant, ids, posts, area=False)
    with_area = measure(engine, tenant, ids, posts, area=True)
    print("\nboard matching, first fixture, " + ignored.line("area ignored") + "\n  " + with_area.line("with area"))
    assert with_area.top3 == with_area.needs == 21
    assert ignored.top3 == 21


def test_the_job_reads_both_languages_and_every_pair_both_ways(engine, board_tenant, seed_fixture):
    tenant = board_tenant()
    ids = seed_fixture(tenant, "matching_heldout.json")
    with tenant_unit_of_work(engine, tenant) as session:
        languages = dict(session.execute(text("SELECT id, language FROM board_posts")).all())
        read = session.scalar(text("SELECT count(*) FROM board_post_index"))
        babysitter = [s.post.id for s in suggestions_for(session, ids["n-babysit"], limit=3)]
    assert languages[ids["n-babysit"]] == "en" and languages[ids["o-oppas"]] == "nl"
    assert read == len(ids)
    assert ids["o-oppas"] in babysitter  # "babysitter" meets "oppas"
