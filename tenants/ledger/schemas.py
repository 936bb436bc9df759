"""The ledger's settings (a lab's admin sets them on the module's settings page)."""

from marshmallow import EXCLUDE, Schema, fields

from wijknet.platform.lazy_text import lazy_gettext as _l


class LedgerSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    public_page = fields.Boolean(load_default=False, metadata={"label": _l("Show the neighbourhood's money on a public page")})
