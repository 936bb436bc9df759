"""The board over the API: /t/<slug>/api/v1/board/... (posts, search, suggestions, reactions)."""
from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from wijknet.platform.tenancy.routing import bind_tenant, tenant_db

from wijknet.tenants.core.idempotency import once_per_key

from . import operations as ops
from .access import board_settings, require_poster, require_reader, viewer
from .matching import suggestions_for
from .queries import Filters, board_page

blp = bind_tenant(Blueprint("board_api", __name__, url_prefix="/t/<slug>/api/v1/board",
                            description="Businessbakkerij: needs and offers (Bearer token; open boards also without)."), module="board")


class PostSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, metadata={"description": "need or offer"})
    title = fields.String(required=True)
    body = fields.String(required=True)
    categories = fields.List(fields.String(), required=True)
    organisation = fields.String(allow_none=True, load_default=None)
    area = fields.String(allow_none=True, load_default=None, metadata={"description": "Dutch postcode or neighbourhood"})
    valid_until = fields.String(allow_none=True, load_default=None, metadata={"description": "YYYY-MM-DD; default in 30 days"})
    status = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class PostOut(PostSchema):
    valid_until = fields.Date(dump_only=True)


class SearchArgs(Schema):
    q = fields.String(load_default=None)
    kind = fields.String(load_default=None)
    category = fields.String(load_default=None)
    area = fields.String(load_default=None)


class SuggestionSchema(Schema):
    post = fields.Nested(PostOut)
    score = fields.Float()


class ReactionIn(Schema):
    kind = fields.String(required=True, metadata={"description": "help or interest"})
    message = fields.String(required=True)


class ReactionOut(Schema):
    id = fields.Integer()
    post_id = fields.Integer()
    kind = fields.String()
    created_at = fields.DateTime()


def _reader():
    if require_reader() is not None:  # pages redirect to the login; the API answers 404
        abort(404)


def _post(post_id: int, *, for_update: bool = False):
    try:
        return ops.get_post(tenant_db(), post_id, viewer(), for_update=for_update)
    except ops.BoardError:
        abort(404)


@blp.route("/posts")
class Posts(MethodView):
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, PostOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Open posts, newest first; `q` searches in Dutch (stemmed), with filters."""
        _reader()
        filters = Filters.from_args(args, board_settings()["categories"])
        rows, total = board_page(tenant_db(), viewer(), filters, pagination_parameters.page)
        pagination_parameters.item_count = total
        return [post for post, _author in rows]

    @once_per_key("board.post.create")
    @blp.arguments(PostSchema)
    @blp.response(201, PostOut)
    def post(self, data):
        """Post a need or an offer (members)."""
        return ops.create_post(tenant_db(), require_poster(), board_settings(), **data)


@blp.route("/posts/<int:post_id>")
class OnePost(MethodView):
    @blp.response(200, PostOut)
    def get(self, post_id: int):
        _reader()
        return _post(post_id)

    @blp.arguments(PostSchema)
    @blp.response(200, PostOut)
    def put(self, data, post_id: int):
        """Change your own post (all fields)."""
        member = require_poster()
        return ops.update_post(tenant_db(), _post(post_id, for_update=True), member, board_settings(), **data)


@blp.route("/posts/<int:post_id>/close")
class ClosePost(MethodView):
    @blp.response(200, PostOut)
    def post(self, post_id: int):
        member = require_poster()
        return ops.close_post(tenant_db(), _post(post_id, for_update=True), member)


@blp.route("/posts/<int:post_id>/suggestions")
class Suggestions(MethodView):
    @blp.response(200, SuggestionSchema(many=True))
    def get(self, post_id: int):
        """Posts of the other kind that may fit, best first."""
        _reader()
        post = _post(post_id)
        return [{"post": s.post, "score": round(s.score, 4)} for s in suggestions_for(tenant_db(), post.id, limit=10)]


@blp.route("/posts/<int:post_id>/reactions")
class Reactions(MethodView):
    @once_per_key("board.reaction.create")
    @blp.arguments(ReactionIn)
    @blp.response(201, ReactionOut)
    def post(self, data, post_id: int):
        """React: "help" (ik kan helpen) or "interest", with a message to the author."""
        member = require_poster()
        return ops.react(tenant_db(), _post(post_id, for_update=True), member, **data)
