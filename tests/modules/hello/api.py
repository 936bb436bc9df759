from flask.views import MethodView
from marshmallow import Schema, fields

from wijknet.platform.api_blueprint import Blueprint
from wijknet.platform.modules import module_settings
from wijknet.platform.tenancy.routing import tenant_db
from wijknet.tenants.core.access import current_member

from .operations import wave, waves

blp = Blueprint("hello_api", __name__, url_prefix="/t/<slug>/api/v1/hello", description="Waves (test-only module).")


class WaveOut(Schema):
    name = fields.String()
    at = fields.DateTime()


@blp.route("/waves")
class Waves(MethodView):
    @blp.response(200, WaveOut(many=True))
    def get(self):
        return [{"name": name, "at": at} for name, at in waves(tenant_db(), module_settings("hello")["waves_shown"])]

    @blp.response(201, WaveOut)
    def post(self):
        member = current_member()
        wave(tenant_db(), member)
        return {"name": member.display_name, "at": None}
