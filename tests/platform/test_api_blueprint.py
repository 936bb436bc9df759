"""The API's blueprint (platform/api_blueprint.py) skips two schemas flask-smorest builds on
every paginated request; what it does instead answers exactly as flask-smorest would."""

import json

import flask_smorest
import pytest
from marshmallow import Schema, fields
from werkzeug.exceptions import UnprocessableEntity

from wijknet.platform.api_blueprint import Blueprint


def test_the_page_metadata_is_flask_smorests_to_the_byte():
    for total in range(13):
        for size in range(1, 5):
            for page in range(1, 7):
                ours = Blueprint._make_pagination_metadata(page, size, total)
                theirs = flask_smorest.Blueprint._make_pagination_metadata(page, size, total)
                assert json.dumps(ours) == json.dumps(theirs), (page, size, total)


def test_one_schema_per_class_serves_every_request_alike(app):
    class Paging(Schema):
        page = fields.Integer(load_default=1)

    parser = Blueprint.PAGINATION_ARGUMENTS_PARSER
    with app.test_request_context("/?page=3"):
        first = parser._get_schema(Paging, None)
        assert parser.parse(Paging, location="query") == {"page": 3}
    with app.test_request_context("/"):
        assert parser._get_schema(Paging, None) is first
        assert parser.parse(Paging, location="query") == {"page": 1}  # nothing kept from before
    with app.test_request_context("/?page=drie"), pytest.raises(UnprocessableEntity):
        parser.parse(Paging, location="query")
    assert isinstance(parser._get_schema({"page": fields.Integer()}, None), Schema)  # other argmaps as webargs does


def test_every_api_blueprint_is_ours(app):
    smorest = [bp for bp in app.blueprints.values() if isinstance(bp, flask_smorest.Blueprint)]
    assert {"tenant_people", "board_api"} <= {bp.name for bp in smorest}
    assert [bp.name for bp in smorest if not isinstance(bp, Blueprint)] == []
