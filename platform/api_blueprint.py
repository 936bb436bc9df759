"""The API's blueprint: flask-smorest's, without the two marshmallow schemas it builds on
every paginated request (about a twentieth of the members API's Python time, issue 18).

- The page parameters' schema: webargs makes an instance of the schema class it is given
  on every parse. flask-smorest's pagination schema class is made once per view and holds
  no state, so one instance per class serves every request.
- The page metadata (the X-Pagination header): flask-smorest dumps it through a new
  PaginationMetadataSchema, whose whole-number fields give back what they were given. It
  is built here as the same dict (test_api_blueprint compares the two).

Every API module makes its blueprint from this class, not from flask_smorest's."""

from __future__ import annotations

import flask_smorest
from marshmallow import Schema
from webargs.flaskparser import FlaskParser


class _OneSchemaPerClass(FlaskParser):
    def __init__(self) -> None:
        super().__init__()
        self._schemas: dict[type, Schema] = {}

    def _get_schema(self, argmap, req) -> Schema:
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)


class Blueprint(flask_smorest.Blueprint):
    PAGINATION_ARGUMENTS_PARSER = _OneSchemaPerClass()

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict:
        if item_count == 0:
            return {"total": 0, "total_pages": 0}
        last = (item_count - 1) // page_size + 1
        metadata = {"total": item_count, "total_pages": last, "first_page": 1, "last_page": last}
        if page <= last:
            metadata["page"] = page
            if page > 1:
                metadata["previous_page"] = page - 1
            if page < last:
                metadata["next_page"] = page + 1
        return metadata
