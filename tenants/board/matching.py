"""Suggested matches: open, visible posts of the opposite kind, ranked by (see
docs/board-matching.md):

    score = 2 x content            how well the candidate answers this post, in words and
                                   meaning, stored by the matching job (indexing.py)
          + 0.25 x the share of this post's categories that the candidate has too
          + 0.10 if both name the same area (postcode digits or neighbourhood)
          + 0.10 x recency         1 for a new post, halving every 3 weeks

Only candidates whose content reaches STRONG are suggested: when nothing fits, none is
shown rather than five weak ones. A post the job has not read yet (the seconds after it
is saved) gets provisional suggestions from the full-text index instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from wijknet.tenants.core.time import tenant_today

from .models import Post
from .queries import LIVE_SQL

WEIGHTS = {"text_weight": 2.0, "category_weight": 0.25, "area_weight": 0.1, "recency_weight": 0.10, "half_life_days": 21.0}
# Calibrated on the board's own fixture (fixtures/matching_heldout.json): the lowest content
# that keeps 48 of 51 intended offers and shows nothing for 10 of the 12 needs nothing fits.
STRONG = 0.21

# A post's own stems become an OR query; they are already Dutch stems, so the 'simple'
# configuration takes them as they are. websearch_to_tsquery never fails on odd input.
# Only the first MY_STEMS stems in reading order (the title, then the start of the body:
# where people say what they need) count, so a long body cannot make the query slow.
MY_STEMS = 24
_MY_QUERY = f"""websearch_to_tsquery('simple', (
    SELECT coalesce(string_agg(lexeme, ' or '), '')
    FROM (SELECT lexeme FROM unnest(search) ORDER BY positions[1] LIMIT {MY_STEMS}) first_stems
))"""
_SCORE = """(
      :text_weight * ts_rank('{0.1, 0.2, 0.4, 1.0}', p.search, me.query)
    + :category_weight * (SELECT count(*) FROM unnest(p.categories) c WHERE c = ANY(me.categories))::float8
                       / greatest(cardinality(me.categories), 1)
    + CASE WHEN me.area IS NOT NULL AND p.area = me.area THEN :area_weight ELSE 0 END
    + :recency_weight * power(0.5, extract(epoch FROM now() - p.created_at)::float8 / (86400 * :half_life_days))
)"""
# Candidates: among the WINDOW newest open posts of the other kind (read by walking a
# listing index backwards, so the work stays bounded however many posts the board holds),
# those that share a category or a stem. Only they are scored; scoring is most of the cost
# (about 12 ms for 1,000 candidates, 6 ms for 500).
WINDOW = 500
_POOL = f"""SELECT * FROM (
        SELECT * FROM board_posts p WHERE p.kind = me.other AND p.status = 'open'
        ORDER BY p.created_at DESC LIMIT :window
    ) p
    WHERE {LIVE_SQL.format(p="p")} AND p.id <> me.id
      AND (p.categories && me.categories OR p.search @@ me.query)"""
_ME = f"""id, {_MY_QUERY} AS query, categories, area, kind,
          CASE kind WHEN 'need' THEN 'offer' ELSE 'need' END AS other"""

# From the stored pairs: the candidates the matching job found, filtered and ranked now.
_STORED_SCORE = _SCORE.replace("ts_rank('{0.1, 0.2, 0.4, 1.0}', p.search, me.query)", "n.content")
assert _STORED_SCORE != _SCORE
_STORED_FOR_MEMBER = text(f"""
WITH me AS MATERIALIZED (
    SELECT id, categories, area, CASE kind WHEN 'need' THEN 'offer' ELSE 'need' END AS other FROM board_posts
    WHERE author_id = :member_id AND {LIVE_SQL.format(p="board_posts")}
    ORDER BY created_at DESC LIMIT 10
)
SELECT p.id, max({_STORED_SCORE}) AS score
FROM me
JOIN board_neighbours n ON n.post_id = me.id AND n.content >= :strong
JOIN board_posts p ON p.id = n.other_id
WHERE p.kind = me.other AND {LIVE_SQL.format(p="p")} AND p.author_id <> :member_id
  AND NOT EXISTS (SELECT 1 FROM board_reactions r WHERE r.post_id = p.id AND r.responder_id = :member_id)
GROUP BY p.id
ORDER BY score DESC, p.id DESC
LIMIT :limit
""")
# One query: the stored pairs once the job has read the post; before that (the seconds
# after it is saved) provisional suggestions from the full-text index alone.
_SUGGESTIONS = text(f"""
WITH me AS MATERIALIZED (
    SELECT {_ME}, EXISTS (SELECT 1 FROM board_post_index i WHERE i.post_id = board_posts.id) AS is_read
    FROM board_posts WHERE id = :post_id
)
(SELECT p.id, {_STORED_SCORE} AS score
 FROM me
 JOIN board_neighbours n ON n.post_id = me.id AND n.content >= :strong
 JOIN board_posts p ON p.id = n.other_id
 WHERE me.is_read AND p.kind = me.other AND {LIVE_SQL.format(p="p")})
UNION ALL
(SELECT p.id, {_SCORE} AS score
 FROM me CROSS JOIN LATERAL ({_POOL}) p
 WHERE NOT me.is_read)
ORDER BY score DESC, id DESC
LIMIT :limit
""")


@dataclass(frozen=True)
class Suggestion:
    post: Post
    score: float


def suggestions_for(
    session: Session, post_id: int, *, limit: int = 5, today: date | None = None, weights: dict | None = None
) -> list[Suggestion]:
    """The strong suggestions for a post (none when nothing fits); provisional ones from the
    full-text index while the matching job has not read it yet."""
    params = {"post_id": post_id, "limit": limit, "window": WINDOW, "today": today or tenant_today(), "strong": STRONG}
    params.update(weights or WEIGHTS)
    return _load(session, session.execute(_SUGGESTIONS, params).all())


def suggested_for_member(session: Session, member_id: int, *, limit: int = 20, today: date | None = None) -> list[Suggestion]:
    """ "Suggested for you": strong suggestions for the member's own live posts."""
    params = {"member_id": member_id, "limit": limit, "today": today or tenant_today(), "strong": STRONG, **WEIGHTS}
    return _load(session, session.execute(_STORED_FOR_MEMBER, params).all())


def _load(session: Session, ranked) -> list[Suggestion]:
    if not ranked:
        return []
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_([r.id for r in ranked])))}
    return [Suggestion(posts[r.id], float(r.score)) for r in ranked]
