"""The matching job's work for one post (docs/board-matching.md): read its words and
meaning, compare it with the newest open posts of the other kind, and keep the best pairs
in `board_neighbours`, both ways. Runs in the background after a post is saved
(tasks.index_one), never in the request; suggestions then read the stored pairs.

How well post B answers post A (`content`, 0 to 1):

    same language:      0.35 x meaning(A, B) + 0.35 x words(A -> B) + 0.30 x meaning(title A, B)
    different language: 0.85 x (0.60 x meaning(A, B) + 0.40 x meaning(title A, B))

`meaning` is the cosine of the sentence embeddings (semantics.py); `words` the share of
A's content terms, weighted by place and rarity, that B has (wording.coverage). Across
languages the words cannot meet, so the meaning carries it, a little discounted.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from . import semantics, wording
from .models import Neighbour, Post, PostIndex

WINDOW = 500  # the newest open posts of the other kind a post is compared with
KEEP = 40  # a post's own best pairs kept, best first
FLOOR = 0.10  # below this a pair is not worth a row
STRONG_ENOUGH = 0.20  # a little under matching.STRONG, so a retuned threshold still finds rows
ANSWERS = 200  # at most this many other posts learn of a new post
WEIGHTS = {"meaning": 0.35, "words": 0.35, "title_meaning": 0.30, "across_meaning": 0.60, "across_discount": 0.85}


def content_score(meaning: float, words: float, title_meaning: float, same_language: bool) -> float:
    w = WEIGHTS
    if same_language:
        return w["meaning"] * meaning + w["words"] * words + w["title_meaning"] * title_meaning
    return w["across_discount"] * (w["across_meaning"] * meaning + (1 - w["across_meaning"]) * title_meaning)


class _Read:
    """One post as the job compares it."""

    def __init__(self, post_id: int, language: str, terms: wording.Terms, vector: np.ndarray, title_vector: np.ndarray):
        self.id, self.language, self.terms, self.vector, self.title_vector = post_id, language, terms, vector, title_vector


def read_post(session: Session, post: Post) -> _Read:
    """Terms and embeddings of `post`, stored in board_post_index (replacing older ones)."""
    terms = wording.Terms.of(post.title, post.body, post.language)
    vector, title_vector = semantics.embed([semantics.post_text(post.title, post.body), post.title])
    values = {
        "model": semantics.MODEL,
        "title_terms": list(terms.title),
        "body_terms": list(terms.body),
        "vector": vector.tobytes(),
        "title_vector": title_vector.tobytes(),
    }
    insert = pg_insert(PostIndex).values(post_id=post.id, **values)
    # The new row's own time (its column default), not now() in the SET clause: Citus takes
    # only immutable functions there.
    session.execute(
        insert.on_conflict_do_update(index_elements=["post_id"], set_=dict(values, indexed_at=insert.excluded.indexed_at))
    )
    return _Read(post.id, post.language, terms, vector, title_vector)


def _candidates(session: Session, post: Post) -> list[_Read]:
    other = "offer" if post.kind == "need" else "need"
    rows = session.execute(
        select(Post.id, Post.language, PostIndex.title_terms, PostIndex.body_terms, PostIndex.vector, PostIndex.title_vector)
        .join(PostIndex, PostIndex.post_id == Post.id)
        .where(Post.kind == other, Post.status == "open", Post.id != post.id, PostIndex.model == semantics.MODEL)
        .order_by(Post.created_at.desc())
        .limit(WINDOW)
    ).all()
    return [
        _Read(
            r.id,
            r.language,
            wording.Terms(tuple(r.title_terms), tuple(r.body_terms)),
            np.frombuffer(r.vector, dtype=np.float32),
            np.frombuffer(r.title_vector, dtype=np.float32),
        )
        for r in rows
    ]


def pair_scores(me: _Read, candidates: list[_Read]) -> list[tuple[int, float, float]]:
    """(candidate id, how well it answers me, how well I answer it) for every candidate."""
    if not candidates:
        return []
    frequency = Counter(t for read in [me, *candidates] for t in set(read.terms.title + read.terms.body))
    documents = len(candidates) + 1

    def weight(term: str) -> float:
        return wording.rarity(frequency.get(term, 0), documents)

    vectors = np.stack([c.vector for c in candidates])
    meaning = vectors @ me.vector
    my_title_meaning = vectors @ me.title_vector
    their_title_meaning = np.stack([c.title_vector for c in candidates]) @ me.vector
    scores = []
    for i, c in enumerate(candidates):
        same = c.language == me.language
        forward = content_score(
            float(meaning[i]), wording.coverage(me.terms, c.terms, weight) if same else 0.0, float(my_title_meaning[i]), same
        )
        backward = content_score(
            float(meaning[i]), wording.coverage(c.terms, me.terms, weight) if same else 0.0, float(their_title_meaning[i]), same
        )
        scores.append((c.id, forward, backward))
    return scores


def index_post(session: Session, post_id: int) -> int:
    """Read one post and store its pairs both ways; returns how many rows were written.
    A post that is gone is skipped; a closed or hidden one is read too (it may reopen), its
    pairs are filtered out at request time."""
    post = session.get(Post, post_id)
    if post is None:
        return 0
    me = read_post(session, post)
    scores = pair_scores(me, _candidates(session, post))
    # For me: my KEEP best. For the others: every one I answer strongly (their best may
    # have come before me); bounded, so one vague post cannot write a row per candidate.
    mine = sorted((s for s in scores if s[1] >= FLOOR), key=lambda s: s[1], reverse=True)[:KEEP]
    theirs = sorted((s for s in scores if s[2] >= STRONG_ENOUGH), key=lambda s: s[2], reverse=True)[:ANSWERS]
    session.execute(delete(Neighbour).where(or_(Neighbour.post_id == post.id, Neighbour.other_id == post.id)))
    rows = [{"post_id": post.id, "other_id": other, "content": forward} for other, forward, _ in mine]
    rows += [{"post_id": other, "other_id": post.id, "content": backward} for other, _, backward in theirs]
    if rows:
        session.execute(pg_insert(Neighbour).values(rows))
    session.flush()
    return len(rows)


def needs_indexing(session: Session, post_id: int) -> bool:
    return session.scalar(select(PostIndex.post_id).where(PostIndex.post_id == post_id)) is None
