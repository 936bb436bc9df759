"""A tiny module that exists only for the tests: it proves that a module written in one
folder, in the shape of docs/adding-a-module.md, gets pages, an API, settings with a
derived form, the on/off switch, audit records and isolation without any change in
`platform/`. Members wave; the lab's greeting is a setting; waves are audit records."""

from marshmallow import EXCLUDE, Schema, fields, validate

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.modules import Module, NavEntry


class HelloSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    greeting = fields.String(
        load_default="Hallo buren!", validate=validate.Length(2, 60, error="2 to 60 characters."), metadata={"label": "Greeting"}
    )
    waves_shown = fields.Integer(
        load_default=10, validate=validate.Range(1, 50, error="A number from 1 to 50."), metadata={"label": "Waves shown"}
    )


module = Module(
    name="hello",
    label=_l("Hello"),
    description="Members wave at each other.",
    settings="tests.modules.hello:HelloSettings",
    pages=("tests.modules.hello.views:bp",),
    api=("tests.modules.hello.api:blp",),
    navigation=(NavEntry("hello.index", "Hello", role="member"),),
    tile="hello/_tile.html",
    permissions={"wave": "member"},
    audit_events={"hello.waved": "waved"},
    starter_kit="tests.modules.hello.operations:copy_starter",
)
