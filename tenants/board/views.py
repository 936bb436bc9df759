"""Board pages: the board with filters, a post with its suggestions and conversations, the
new/edit form and "my posts". Thin: rules in operations.py, reading in queries.py."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy import select

from wijknet.platform.identity.access import require_member
from wijknet.platform.inputs import bounded_int
from wijknet.platform.paging import check_page, page_number
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.routing import bind_tenant, current_tenant, platform_db, tenant_db
from wijknet.tenants.core.idempotency import once_per_key
from wijknet.tenants.core.models import Member

from . import operations as ops
from .access import board_settings, require_poster, require_reader, viewer
from .matching import suggested_for_member, suggestions_for
from .models import Match, Reaction, ThreadMessage
from .queries import PAGE_SIZE, SEARCH_WINDOW, Filters, board_page, posts_of
from .rules import BoardError

bp = bind_tenant(Blueprint("board", __name__, url_prefix="/t/<slug>/board", template_folder="templates"), module="board")

FORM_FIELDS = ("kind", "title", "body", "organisation", "area", "valid_until")


def _form_values() -> dict:
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    values["categories"] = request.form.getlist("categories")
    return values


@bp.get("/")
def index():
    refused = require_reader()
    if refused:
        return refused
    settings = board_settings()
    filters = Filters.from_args(request.args, settings["categories"])
    page = page_number()
    rows, total = board_page(tenant_db(), viewer(), filters, page)
    return render_template("board/index.html", tenant=current_tenant(), rows=rows, total=total, page=page,
                           pages=check_page(page, total, PAGE_SIZE), filters=filters, categories=settings["categories"],
                           member=viewer(), search_window=SEARCH_WINDOW)


@bp.route("/new", methods=["GET", "POST"])
@once_per_key("board.post.create")
def new_post():
    member = require_poster()
    settings = board_settings()
    values, error, errors, status = {"kind": request.args.get("kind", "need"), "categories": []}, None, {}, 200
    if request.method == "POST":
        values = _form_values()
        try:
            post = ops.create_post(tenant_db(), member, settings, **values)
            return redirect(url_for("board.show", post_id=post.id))
        except BoardError as exc:
            error, errors, status = exc.message, exc.errors, exc.status
    return render_template("board/form.html", tenant=current_tenant(), values=values, error=error, errors=errors,
                           categories=settings["categories"], editing=None), status


@bp.route("/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    member = require_poster()
    session = tenant_db()
    settings = board_settings()
    try:
        post = ops.get_post(session, post_id, member, for_update=request.method == "POST")
    except BoardError:
        post = None
    if post is None or post.author_id != member.id:
        return render_template("board/missing.html", tenant=current_tenant()), 404
    values = {name: getattr(post, name) or "" for name in FORM_FIELDS} | {"categories": post.categories}
    error, errors, status = None, {}, 200
    if request.method == "POST":
        values = _form_values()
        try:
            ops.update_post(session, post, member, settings, **values)
            return redirect(url_for("board.show", post_id=post.id))
        except BoardError as exc:
            error, errors, status = exc.message, exc.errors, exc.status
    return render_template("board/form.html", tenant=current_tenant(), values=values, error=error, errors=errors,
                           categories=settings["categories"], editing=post), status


@bp.get("/<int:post_id>")
def show(post_id: int):
    refused = require_reader()
    if refused:
        return refused
    session, member = tenant_db(), viewer()
    try:
        post = ops.get_post(session, post_id, member)
    except BoardError:
        return render_template("board/missing.html", tenant=current_tenant()), 404
    author = session.get(Member, post.author_id)
    conversations = _conversations(session, post, member)
    match = session.scalars(select(Match).where(Match.post_id == post.id)).one_or_none()
    return render_template(
        "board/post.html", tenant=current_tenant(), post=post, author=author, member=member,
        moderator=ops.is_moderator(member), suggestions=suggestions_for(session, post.id) if post.status == "open" else [],
        conversations=conversations, match=match, today=date.today(),
        reacted=any(r.responder_id == member.id for r, _n, _m in conversations) if member else False,
    )


def _conversations(session, post, member):
    """[(reaction, responder name, [messages])]: all for the author, one's own for a responder."""
    if member is None:
        return []
    query = select(Reaction, Member.display_name).join(Member, Member.id == Reaction.responder_id).where(Reaction.post_id == post.id)
    if post.author_id != member.id:
        query = query.where(Reaction.responder_id == member.id)
    reactions = session.execute(query.order_by(Reaction.id)).all()
    ids = [r.id for r, _ in reactions]
    messages: dict[int, list] = {i: [] for i in ids}
    if ids:
        for message, name in session.execute(
            select(ThreadMessage, Member.display_name).join(Member, Member.id == ThreadMessage.author_id)
            .where(ThreadMessage.reaction_id.in_(ids)).order_by(ThreadMessage.id)
        ):
            messages[message.reaction_id].append((message, name))
    return [(r, name, messages[r.id]) for r, name in reactions]


def _act(post_id: int, action):
    """Run `action(session, post, member)` for a form button; errors come back on the post page."""
    member = require_poster()
    session = tenant_db()
    try:
        post = ops.get_post(session, post_id, member, for_update=True)
        action(session, post, member)
    except BoardError as exc:
        if exc.status == 404:
            return render_template("board/missing.html", tenant=current_tenant()), 404
        return render_template("board/error.html", tenant=current_tenant(), message=exc.message, post_id=post_id), exc.status
    return redirect(url_for("board.show", post_id=post_id) + "#" + request.form.get("anchor", "top"))


@bp.post("/<int:post_id>/react")
@once_per_key("board.reaction.create")
def react(post_id: int):
    return _act(post_id, lambda s, p, m: ops.react(s, p, m, kind=request.form.get("kind", ""), message=request.form.get("message", "")))


@bp.post("/<int:post_id>/messages/<int:reaction_id>")
@once_per_key("board.message.create")
def message(post_id: int, reaction_id: int):
    return _act(post_id, lambda s, p, m: ops.add_message(s, p, reaction_id, m, request.form.get("message", "")))


@bp.post("/<int:post_id>/match")
def mark_match(post_id: int):
    return _act(post_id, lambda s, p, m: ops.mark_match(s, p, m, bounded_int(request.form.get("reaction_id")) or 0))


@bp.post("/<int:post_id>/confirm")
def confirm(post_id: int):
    return _act(post_id, lambda s, p, m: ops.confirm_match(s, p, m))


@bp.post("/<int:post_id>/close")
def close(post_id: int):
    return _act(post_id, lambda s, p, m: ops.close_post(s, p, m))


@bp.post("/<int:post_id>/reopen")
def reopen(post_id: int):
    return _act(post_id, lambda s, p, m: ops.reopen_post(s, p, m))


@bp.post("/<int:post_id>/report")
def report(post_id: int):
    return _act(post_id, lambda s, p, m: ops.report_post(s, p, m, request.form.get("reason", "")))


@bp.post("/<int:post_id>/hide")
def hide(post_id: int):
    return _act(post_id, lambda s, p, m: ops.hide_post(s, p, m, request.form.get("reason", "")))


@bp.post("/<int:post_id>/restore")
def restore(post_id: int):
    return _act(post_id, lambda s, p, m: ops.restore_post(s, p, m))


@bp.post("/<int:post_id>/approve")
def approve(post_id: int):
    return _act(post_id, lambda s, p, m: ops.approve_post(s, p, m))


@bp.get("/mine")
def mine():
    member = require_poster()
    return render_template("board/mine.html", tenant=current_tenant(), posts=posts_of(tenant_db(), member), today=date.today())


@bp.get("/for-you")
def for_you():
    member = require_poster()
    return render_template("board/for_you.html", tenant=current_tenant(),
                           suggestions=suggested_for_member(tenant_db(), member.id))


@bp.route("/settings", methods=["GET", "POST"])
@require_member("admin")
def settings():
    from .settings import change_board_settings

    values, error, errors, saved = dict(board_settings()), None, {}, False
    if request.method == "POST":
        raw = {key: request.form.get(key, "") for key in ("visibility", "approval_required", "posts_per_day", "reminder_days", "categories")}
        try:
            values = change_board_settings(platform_db(), platform_db().get(Tenant, current_tenant().id), g.user, raw)
            saved = True
        except BoardError as exc:
            error, errors = exc.message, exc.errors
            values = {"visibility": raw["visibility"], "posts_per_day": raw["posts_per_day"], "reminder_days": raw["reminder_days"],
                      "approval_required": bool(raw["approval_required"]),
                      "categories": [c for c in raw["categories"].splitlines() if c.strip()]}
    return render_template("board/settings.html", tenant=current_tenant(), values=values, error=error, errors=errors,
                           saved=saved), 400 if error else 200


@bp.route("/notifications", methods=["GET", "POST"])
def notifications():
    """A member's email: digest of new posts (categories, how often), reminders, language."""
    from .notifications import change_preferences, preferences_of

    member = require_poster()
    session = tenant_db()
    categories = board_settings()["categories"]
    prefs, error, errors, saved = preferences_of(session, member), None, {}, False
    values = {"digest": prefs.digest, "categories": list(prefs.categories), "reminders": prefs.reminders,
              "language": prefs.language}
    if request.method == "POST":
        values = {"digest": request.form.get("digest", ""), "categories": request.form.getlist("categories"),
                  "reminders": request.form.get("reminders") == "on", "language": request.form.get("language", "")}
        try:
            change_preferences(session, member, categories, **values)
            saved = True
        except BoardError as exc:
            error, errors = exc.message, exc.errors
    return render_template("board/notifications.html", tenant=current_tenant(), values=values, categories=categories,
                           error=error, errors=errors, saved=saved), 400 if error else 200
