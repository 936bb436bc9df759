"""Public directory of living labs: GET /api/v1/tenants (slug, name, type, region only)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import select

from ..api_blueprint import Blueprint
from ..paging import page_with_total
from ..tenancy.models import Tenant
from ..tenancy.routing import platform_db

blp = Blueprint("directory", __name__, url_prefix="/api/v1/tenants", description="Directory of the network's living labs.")


class TenantPublicSchema(Schema):
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    type = fields.String(dump_only=True)
    region = fields.String(dump_only=True)


LISTED_LABS = select(Tenant).where(Tenant.status.in_(("active", "suspended"))).order_by(Tenant.slug)


@blp.route("")
class TenantDirectory(MethodView):
    @blp.response(200, TenantPublicSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """List the living labs of the network (public)."""
        labs, pagination_parameters.item_count = page_with_total(
            platform_db(),
            LISTED_LABS,
            first=pagination_parameters.first_item,
            size=pagination_parameters.page_size,
        )
        return labs
