"""A living lab's people over the API: /t/<slug>/api/v1/members and /me (members only)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import select

from wijknet.platform.api_blueprint import Blueprint
from wijknet.platform.identity.access import current_membership
from wijknet.platform.paging import page_with_total
from wijknet.platform.tenancy.routing import bind_tenant, tenant_db

from .models import Member

blp = bind_tenant(
    Blueprint(
        "tenant_people",
        __name__,
        url_prefix="/t/<slug>/api/v1",
        description="People of a living lab (members only; Bearer token).",
    )
)


class MemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    display_name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    organisation = fields.String(dump_only=True, allow_none=True)
    joined_at = fields.DateTime(dump_only=True)


class MeSchema(Schema):
    user_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    tenant = fields.String(dump_only=True)


MEMBERS_BY_NAME = select(Member).order_by(Member.display_name, Member.id)


@blp.route("/members")
class Members(MethodView):
    @blp.response(200, MemberSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The members of this living lab."""
        members, pagination_parameters.item_count = page_with_total(
            tenant_db(),
            MEMBERS_BY_NAME,
            first=pagination_parameters.first_item,
            size=pagination_parameters.page_size,
        )
        return members


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Who the token belongs to, and their role here."""
        return {"user_id": g.user.id, "name": g.user.name, "role": current_membership().role, "tenant": g.tenant.slug}
