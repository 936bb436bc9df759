"""The board over the API: /t/<slug>/api/v1/board/... (posts, search, suggestions, reactions).

Input is read with the board's own schemas (schemas.py, the same the pages use); who may
call what is the view's access policy (members, or READERS for reading an open board)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from wijknet.platform.api_blueprint import Blueprint
from wijknet.platform.tenancy.routing import tenant_db
from wijknet.tenants.core.access import access
from wijknet.tenants.core.idempotency import once_per_key
from wijknet.tenants.core.time import tenant_today

from . import operations as ops
from .access import READERS, board_settings, get_post, viewer
from .matching import suggestions_for
from .queries import Filters, board_page
from .schemas import PostIn, ReactionIn

blp = Blueprint(
    "board_api",
    __name__,
    url_prefix="/t/<slug>/api/v1/board",
    description="Businessbakkerij: needs and offers (Bearer token; open boards also without).",
)


class PostOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "need or offer"})
    title = fields.String()
    body = fields.String()
    categories = fields.List(fields.String())
    organisation = fields.String(allow_none=True)
    area = fields.String(allow_none=True, metadata={"description": "postcode digits or neighbourhood"})
    valid_until = fields.Date()
    status = fields.String(metadata={"description": "pending, open, matched or closed"})
    created_at = fields.DateTime()


class SearchArgs(Schema):
    q = fields.String(load_default=None, metadata={"description": "words to search for (Dutch stemming)"})
    kind = fields.String(load_default=None, metadata={"description": "need or offer"})
    category = fields.String(load_default=None)
    area = fields.String(load_default=None)


class SuggestionSchema(Schema):
    post = fields.Nested(PostOut)
    score = fields.Float()


class ReactionOut(Schema):
    id = fields.Integer()
    post_id = fields.Integer()
    kind = fields.String()
    created_at = fields.DateTime()


def _post(post_id: int, *, for_update: bool = False):
    return get_post(tenant_db(), post_id, viewer(), for_update=for_update)  # BoardError 404 when not readable


@blp.route("/posts")
class Posts(MethodView):
    @access(READERS)
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, PostOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Open posts, newest first; `q` searches in Dutch (stemmed), with filters."""
        filters = Filters.from_args(args, board_settings()["categories"])
        rows, total = board_page(
            tenant_db(),
            viewer(),
            filters,
            pagination_parameters.page,
            today=tenant_today(),
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return [post for post, _author in rows]

    @once_per_key("board.post.create")
    @blp.arguments(PostIn)
    @blp.response(201, PostOut)
    def post(self, data):
        """Post a need or an offer (members). Send `Idempotency-Key` to make a retry safe."""
        return ops.create_post(tenant_db(), viewer(), board_settings(), **data)


@blp.route("/posts/<int:post_id>")
class OnePost(MethodView):
    @access(READERS)
    @blp.response(200, PostOut)
    def get(self, post_id: int):
        """One post."""
        return _post(post_id)

    @blp.arguments(PostIn)
    @blp.response(200, PostOut)
    def put(self, data, post_id: int):
        """Change your own post (all fields)."""
        return ops.update_post(tenant_db(), _post(post_id, for_update=True), viewer(), board_settings(), **data)


@blp.route("/posts/<int:post_id>/close")
class ClosePost(MethodView):
    @blp.response(200, PostOut)
    def post(self, post_id: int):
        """Close your own post."""
        return ops.close_post(tenant_db(), _post(post_id, for_update=True), viewer())


@blp.route("/posts/<int:post_id>/suggestions")
class Suggestions(MethodView):
    @access(READERS)
    @blp.response(200, SuggestionSchema(many=True))
    def get(self, post_id: int):
        """Posts of the other kind that may fit, best first."""
        post = _post(post_id)
        return [{"post": s.post, "score": round(s.score, 4)} for s in suggestions_for(tenant_db(), post.id, limit=10)]


@blp.route("/posts/<int:post_id>/reactions")
class Reactions(MethodView):
    @once_per_key("board.reaction.create")
    @blp.arguments(ReactionIn)
    @blp.response(201, ReactionOut)
    def post(self, data, post_id: int):
        """React: "help" (ik kan helpen) or "interest", with a message to the author."""
        return ops.react(tenant_db(), _post(post_id, for_update=True), viewer(), **data)
