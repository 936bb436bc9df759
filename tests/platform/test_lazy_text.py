"""Lazy translated text (platform/lazy_text.py): chosen when shown, in the reader's language
inside the web app, English without it, and without importing Flask until then."""

import copy
import json
import subprocess
import sys

import marshmallow as ma
from flask import render_template_string

from wijknet.platform.lazy_text import lazy_gettext as _l

FIELDS = _l("Please correct the marked fields.")  # in the Dutch catalog
POSTS = _l("Posts per member per day")


def test_outside_the_web_app_the_text_is_english():
    assert str(FIELDS) == "Please correct the marked fields."
    assert str(_l("%(n)d of %(total)d", n=2, total=5)) == "2 of 5"


def test_inside_the_web_app_it_follows_the_readers_language(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(POSTS) == "Posts per member per day"
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        assert str(POSTS) == "Berichten per lid per dag"
        assert str(_l("A title of 3 to %(max)d characters (now %(count)d).", max=120, count=2)) == (
            "Een titel van 3 tot 120 tekens (nu 2)."
        )
    with app.app_context():  # a job or an email without a request: Dutch, the default
        assert str(FIELDS) == "Verbeter de gemarkeerde velden."


def test_it_behaves_like_the_string_it_becomes(app):
    text = _l("Board")
    assert text == "Board" and "Board" == text and text != "Bord"
    assert text + "!" == "Board!" and "> " + text == "> Board"
    assert len(text) == 5 and "oar" in text and text[0] == "B" and list(text)[:2] == ["B", "o"]
    assert text.upper() == "BOARD" and text.startswith("Bo")
    assert _l("%s items") % 3 == "3 items"
    assert hash(text) == hash("Board") and {text: 1}["Board"] == 1
    assert sorted([_l("b"), _l("a")]) == ["a", "b"] and f"{text}" == "Board"
    assert copy.deepcopy(text) == "Board" and copy.copy(text) == "Board"
    assert repr(text) == "l'Board'"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("<b>{{ t }}</b>", t=text) == "<b>Board</b>"
        assert json.loads(app.json.dumps({"t": text})) == {"t": "Board"}


def test_marshmallow_takes_it_as_a_message(app):
    class Settings(ma.Schema):
        days = ma.fields.Integer(validate=ma.validate.Range(1, 30, error=_l("A number from 1 to 30.")))

    schema = Settings()  # copies its fields, messages included
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        try:
            schema.load({"days": 99})
        except ma.ValidationError as exc:
            assert [str(m) for m in exc.messages["days"]] == ["Een getal van 1 tot en met 30."]
        else:
            raise AssertionError("99 days was accepted")


def test_defining_and_showing_it_outside_the_app_imports_no_flask():
    script = (
        "import sys\n"
        "from wijknet.platform.lazy_text import lazy_gettext as _l\n"
        "label = _l('Board')\n"
        "assert str(label) == 'Board' and label + '!' == 'Board!'\n"
        "print(sorted(m for m in ('flask', 'flask_babel', 'jinja2', 'werkzeug') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
