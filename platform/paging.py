"""Pages of a list on HTML pages: which page was asked for, how many there are, links that
keep the filters, and a page past the end sends the reader to the last one."""

from __future__ import annotations

from flask import Flask, abort, redirect, request, url_for

from .inputs import MAX_PAGE, bounded_int


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
