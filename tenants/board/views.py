"""Board pages: the board with filters, a post with its suggestions and conversations, the
new/edit form, "my posts", "suggested for you" and a member's email preferences.

Thin: who may open a view is its access policy (members unless it says READERS; checked
before the view runs), reading is in queries.py, every change an action of operations.py."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from wijknet.platform.inputs import bounded_int
from wijknet.platform.paging import check_page, page_number
from wijknet.platform.security import token_authenticated
from wijknet.platform.tenancy.routing import current_tenant, tenant_db
from wijknet.tenants.core.access import PUBLIC, access
from wijknet.tenants.core.idempotency import once_per_key
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.time import tenant_today

from . import operations as ops
from .access import READERS, board_settings, get_post, is_moderator, viewer
from .categories import category_label
from .matching import suggested_for_member, suggestions_for
from .notifications import mark_notices_read, notices_of, read_unsubscribe_token, unread_notices, unsubscribe
from .queries import PAGE_SIZE, SEARCH_WINDOW, Filters, board_page, conversations_on, match_of, posts_of
from .schemas import BoardError

bp = Blueprint("board", __name__, url_prefix="/t/<slug>/board", template_folder="templates")
bp.add_app_template_filter(category_label, "category_label")

FORM_FIELDS = ("kind", "title", "body", "organisation", "area", "valid_until")


def _form_values() -> dict:
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    values["categories"] = request.form.getlist("categories")
    return values


def _missing():
    return render_template("board/missing.html", tenant=current_tenant()), 404


@bp.get("/")
@access(READERS)
def index():
    settings = board_settings()
    filters = Filters.from_args(request.args, settings["categories"])
    page = page_number()
    rows, total = board_page(tenant_db(), viewer(), filters, page, today=tenant_today())
    unread = unread_notices(tenant_db(), viewer()) if viewer() else 0
    return render_template(
        "board/index.html",
        tenant=current_tenant(),
        rows=rows,
        total=total,
        page=page,
        pages=check_page(page, total, PAGE_SIZE),
        filters=filters,
        categories=settings["categories"],
        member=viewer(),
        search_window=SEARCH_WINDOW,
        unread=unread,
    )


@bp.route("/new", methods=["GET", "POST"])
@once_per_key("board.post.create")
def new_post():
    settings = board_settings()
    values, error, errors, status = {"kind": request.args.get("kind", "need"), "categories": []}, None, {}, 200
    if request.method == "POST":
        values = _form_values()
        try:
            post = ops.create_post(tenant_db(), viewer(), settings, **values)
            return redirect(url_for("board.show", post_id=post.id))
        except BoardError as exc:
            error, errors, status = exc.message, exc.errors, exc.status
    return render_template(
        "board/form.html",
        tenant=current_tenant(),
        values=values,
        error=error,
        errors=errors,
        categories=settings["categories"],
        editing=None,
    ), status


@bp.route("/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    member, session, settings = viewer(), tenant_db(), board_settings()
    try:
        post = get_post(session, post_id, member, for_update=request.method == "POST")
    except BoardError:
        return _missing()
    if post.author_id != member.id:
        return _missing()
    values = {name: getattr(post, name) or "" for name in FORM_FIELDS} | {"categories": post.categories}
    error, errors, status = None, {}, 200
    if request.method == "POST":
        values = _form_values()
        try:
            ops.update_post(session, post, member, settings, **values)
            return redirect(url_for("board.show", post_id=post.id))
        except BoardError as exc:
            error, errors, status = exc.message, exc.errors, exc.status
    return render_template(
        "board/form.html",
        tenant=current_tenant(),
        values=values,
        error=error,
        errors=errors,
        categories=settings["categories"],
        editing=post,
    ), status


@bp.get("/<int:post_id>")
@access(READERS)
def show(post_id: int):
    session, member = tenant_db(), viewer()
    try:
        post = get_post(session, post_id, member)
    except BoardError:
        return _missing()
    conversations = conversations_on(session, post, member)
    return render_template(
        "board/post.html",
        tenant=current_tenant(),
        post=post,
        author=session.get(Member, post.author_id),
        member=member,
        moderator=is_moderator(member),
        suggestions=suggestions_for(session, post.id) if post.status == "open" else [],
        conversations=conversations,
        match=match_of(session, post),
        today=tenant_today(),
        reacted=any(r.responder_id == member.id for r, _n, _m in conversations) if member else False,
    )


def _act(post_id: int, action):
    """Run `action(session, post, member)` for a form button; errors come back on the post page."""
    member, session = viewer(), tenant_db()
    try:
        post = get_post(session, post_id, member, for_update=True)
        action(session, post, member)
    except BoardError as exc:
        if exc.status == 404:
            return _missing()
        return render_template("board/error.html", tenant=current_tenant(), message=exc.message, post_id=post_id), exc.status
    return redirect(url_for("board.show", post_id=post_id) + "#" + request.form.get("anchor", "top"))


@bp.post("/<int:post_id>/react")
@once_per_key("board.reaction.create")
def react(post_id: int):
    return _act(
        post_id, lambda s, p, m: ops.react(s, p, m, kind=request.form.get("kind", ""), message=request.form.get("message", ""))
    )


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
    return render_template(
        "board/mine.html", tenant=current_tenant(), posts=posts_of(tenant_db(), viewer()), today=tenant_today()
    )


@bp.get("/for-you")
def for_you():
    return render_template(
        "board/for_you.html", tenant=current_tenant(), suggestions=suggested_for_member(tenant_db(), viewer().id)
    )


@bp.route("/notifications", methods=["GET", "POST"])
def notifications():
    """A member's email: digest of new posts (categories, how often), reminders, language."""
    from .notifications import change_preferences, preferences_of

    member, session = viewer(), tenant_db()
    categories = board_settings()["categories"]
    prefs, error, errors, saved = preferences_of(session, member), None, {}, False
    values = {
        "digest": prefs.digest,
        "categories": list(prefs.categories),
        "reminders": prefs.reminders,
        "activity": prefs.activity,
        "language": prefs.language,
    }
    if request.method == "POST":
        values = {
            "digest": request.form.get("digest", ""),
            "categories": request.form.getlist("categories"),
            "reminders": request.form.get("reminders") == "on",
            "activity": request.form.get("activity") == "on",
            "language": request.form.get("language", ""),
        }
        try:
            change_preferences(session, member, categories, **values)
            saved = True
        except BoardError as exc:
            error, errors = exc.message, exc.errors
    return render_template(
        "board/notifications.html",
        tenant=current_tenant(),
        values=values,
        categories=categories,
        error=error,
        errors=errors,
        saved=saved,
    ), 400 if error else 200


NOTICES_PER_PAGE = 30


@bp.get("/notices")
def notices():
    """The member's list: reactions to their posts, messages, matches; newest first."""
    page = page_number()
    rows, total, unread = notices_of(tenant_db(), viewer(), limit=NOTICES_PER_PAGE, offset=(page - 1) * NOTICES_PER_PAGE)
    return render_template(
        "board/notices.html",
        tenant=current_tenant(),
        rows=rows,
        total=total,
        unread=unread,
        page=page,
        pages=check_page(page, total, NOTICES_PER_PAGE),
    )


@bp.post("/notices/read")
def notices_read():
    mark_notices_read(tenant_db(), viewer())
    return redirect(url_for("board.notices"))


@bp.route("/unsubscribe/<key>", methods=["GET", "POST"])
@access(PUBLIC)  # the signed address is the key: it works without signing in
@token_authenticated  # mail programs post here without a form token (RFC 8058)
def unsubscribe_page(key: str):
    """GET shows one button (link checkers open links and must not unsubscribe anyone); a
    POST, from that button or from a mail program's one-click, stops that kind of email."""
    found = read_unsubscribe_token(key, current_tenant().id)
    if found is None:
        return render_template("board/unsubscribe.html", tenant=current_tenant(), what=None, done=False), 404
    member_id, what = found
    done = False
    if request.method == "POST":
        done = unsubscribe(tenant_db(), member_id, what) is not None
        if not done:
            return render_template("board/unsubscribe.html", tenant=current_tenant(), what=None, done=False), 404
    return render_template("board/unsubscribe.html", tenant=current_tenant(), what=what, done=done)
