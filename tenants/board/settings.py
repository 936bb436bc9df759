"""The board's settings (the admin's form is derived from this). Light on purpose: a
`wijknet` command reads the defaults without importing the board's models (issue 18)."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.settings_fields import whole_number

DEFAULT_CATEGORIES = ["zorg", "groen", "klussen", "vervoer", "voedsel", "energie", "werk", "leren"]


class BoardSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    visibility = fields.String(
        load_default="members",
        validate=validate.OneOf(["members", "public"], error=_l("Choose who can read the board.")),
        metadata={
            "label": _l("Who can read the board"),
            "choices": {"members": _l("Members only"), "public": _l("Anyone (without the authors' names)")},
        },
    )
    approval_required = fields.Boolean(
        load_default=False, metadata={"label": _l("A moderator approves posts before they appear")}
    )
    posts_per_day = whole_number(
        default=5, low=1, high=100, message=_l("A number from 1 to 100."), label=_l("Posts per member per day")
    )
    reminder_days = whole_number(
        default=3,
        low=1,
        high=30,
        message=_l("A number from 1 to 30."),
        label=_l("Days before a post ends that its author gets a reminder"),
    )
    categories = fields.List(
        fields.String(validate=validate.Length(1, 40, error=_l("1 to 50 categories of at most 40 characters."))),
        load_default=lambda: list(DEFAULT_CATEGORIES),
        validate=validate.Length(1, 50, error=_l("1 to 50 categories of at most 40 characters.")),
        metadata={"label": _l("Categories, one per line")},
    )

    @post_load
    def _clean(self, data, **_kw):
        data["categories"] = list(dict.fromkeys(c.strip().lower() for c in data["categories"] if c.strip()))
        if not data["categories"]:
            raise ValidationError(_l("1 to 50 categories of at most 40 characters."), "categories")
        return data
