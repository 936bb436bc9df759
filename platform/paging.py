"""Pages of a list: one page and the total in one query; on HTML pages which page was asked
for, how many there are, links that keep the filters, and a page past the end sends the
reader to the last one."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, abort, redirect, request, url_for
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from .inputs import MAX_PAGE, bounded_int


def page_with_total(session: Session, statement: Select, *, first: int, size: int) -> tuple[list, int]:
    """The `size` rows of `statement` (ORM entities, in its order) from row `first` on, and
    how many rows it has in all, in one round trip: the count goes along as a subquery that
    PostgreSQL runs once. A page past the end has no row to carry it: the count is then
    asked alone."""
    with_total, total_alone = _paged(statement)
    rows = session.execute(with_total, {"page_first": first, "page_size": size}).all()
    if rows:
        return [row[0] for row in rows], rows[0].total
    return [], session.scalar(total_alone)


@lru_cache(maxsize=64)
def _paged(statement: Select) -> tuple[Select, Select]:
    """`statement` with its total as a column and the page's bounds as parameters, and its
    count alone. Made once per statement: a list view that keeps its statement in a
    constant builds none of this per request (building it was about a tenth of the
    request's Python time on the members API)."""
    total = select(func.count()).select_from(statement.order_by(None).subquery()).scalar_subquery()
    with_total = statement.add_columns(total.label("total")).limit(bindparam("page_size")).offset(bindparam("page_first"))
    return with_total, select(total)


def page_number() -> int:
    """The page asked for (1 when absent or not a page number)."""
    return bounded_int(request.args.get("page", "1"), low=1, high=MAX_PAGE) or 1


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def check_page(page: int, total: int, size: int) -> int:
    """The number of pages; a page past the last redirects there (`?page=9999` on 61 posts)."""
    pages = page_count(total, size)
    if page > pages:
        abort(redirect(page_url(pages)))
    return pages


def page_url(number: int) -> str:
    """This page's address with another page number, its filters kept."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(number)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["page_url"] = page_url
