"""The input layer's limits at their edges (platform/inputs.py): the last value each limit
takes and the first it refuses, for numbers in forms, path ids, page numbers, JSON depth and
JSON numbers, and every value of a repeated field. The app-level answers are in
test_inputs.py; these pin the boundaries, which mutation testing found unheld (issue 19)."""

import math

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from wijknet.platform import inputs
from wijknet.platform.inputs import MAX_JSON_DEPTH, bounded_int, json_problem

BIGINT_MAX = 9_223_372_036_854_775_807  # PostgreSQL's BIGINT, written out


@pytest.fixture
def edge():
    """A bare Flask app with only the input layer: what reaches a view, and what does not."""
    app = Flask(__name__)
    inputs.init_app(app)

    @app.get("/things/<int:thing>")
    def thing(thing):
        return str(thing)

    @app.get("/few/<int(max=5):n>")
    def few(n):
        return str(n)

    @app.get("/api/list")
    @app.get("/list")
    def listing():
        return "listed"

    @app.post("/form")
    def form():
        return "taken"

    return app.test_client()


def test_the_largest_id_is_postgresqls_bigint(engine):
    from sqlalchemy import text

    with engine.connect() as conn:
        assert conn.execute(text("SELECT CAST(:n AS bigint)"), {"n": str(BIGINT_MAX)}).scalar() == BIGINT_MAX
    assert inputs.MAX_ID == BIGINT_MAX


def test_bounded_int_takes_its_edges_and_refuses_one_past_them():
    assert bounded_int(str(BIGINT_MAX)) == BIGINT_MAX
    assert bounded_int(str(BIGINT_MAX + 1)) is None
    assert bounded_int("0") == 0
    assert bounded_int("-1") is None  # below the default low of 0
    assert bounded_int("5", low=5, high=5) == 5
    assert bounded_int("4", low=5, high=5) is None and bounded_int("6", low=5, high=5) is None
    assert bounded_int(" 42 ") == 42 and bounded_int(42) == 42 and bounded_int(True) is None
    # the longest text taken is 20 characters: a minus and BIGINT's 19 digits
    assert bounded_int(f"-{BIGINT_MAX}", low=-BIGINT_MAX) == -BIGINT_MAX
    assert bounded_int("0" * 20 + "1") is None  # 21 characters, however small the number
    for text in ("١٢", "12a", "1.5", "", "--1", None):  # other digits, letters, fractions, nothing
        assert bounded_int(text) is None, text


def test_path_ids_stop_at_bigint_and_at_a_routes_own_maximum(edge):
    assert edge.get(f"/things/{BIGINT_MAX}").get_data(as_text=True) == str(BIGINT_MAX)
    assert edge.get(f"/things/{BIGINT_MAX + 1}").status_code == 404
    assert edge.get("/things/-1").status_code == 404  # ids are never negative
    assert edge.get("/few/5").get_data(as_text=True) == "5"
    assert edge.get("/few/6").status_code == 404


def test_the_api_takes_page_10000_and_refuses_10001(edge):
    assert edge.get(f"/api/list?page={inputs.MAX_PAGE}").status_code == 200
    assert inputs.MAX_PAGE == 10_000
    assert edge.get("/api/list?page=10001").status_code == 422
    assert edge.get("/list?page=10001").status_code == 200  # pages show their last page instead


def test_every_value_of_a_repeated_field_is_checked(edge):
    assert edge.get("/list?q=goed&q=slecht%00").status_code == 400
    assert edge.post("/form", data=MultiDict([("naam", "goed"), ("naam", "slecht\x00")])).status_code == 400
    assert edge.post("/form", data=MultiDict([("naam", "goed"), ("naam", "ook goed")])).get_data(as_text=True) == "taken"


def _lists(levels: int):
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


def _objects(levels: int):
    value: dict = {}
    for _ in range(levels - 1):
        value = {"in": value}
    return value


@pytest.mark.parametrize("nest", [_lists, _objects])
def test_json_nesting_stops_past_32_levels(nest):
    assert MAX_JSON_DEPTH == 32
    assert json_problem(nest(32)) is None
    assert "nested too deeply" in json_problem(nest(33))
    assert json_problem({"a": nest(31)}) is None and json_problem([nest(32)]) is not None


def test_json_numbers_stop_at_bigint_and_a_thousand_million_million():
    assert json_problem(BIGINT_MAX) is None and json_problem(-BIGINT_MAX) is None
    assert "too large" in json_problem(BIGINT_MAX + 1) and "too large" in json_problem(-BIGINT_MAX - 1)
    assert json_problem(1e15) is None and json_problem(-1e15) is None
    assert json_problem(1e15 + 1) is not None and json_problem(-1e15 - 1) is not None
    for value in (math.inf, -math.inf, math.nan):
        assert json_problem(value) is not None, value
    assert json_problem(0.5) is None


def test_nulls_and_booleans_do_not_end_the_check_of_what_follows():
    # the list's items are checked last to first: true and null come before the bad text
    assert json_problem(["slecht\x00", None]) is not None
    assert json_problem(["slecht\x00", True]) is not None
    assert json_problem([BIGINT_MAX + 1, False, None]) is not None
    assert json_problem({"\x00": 1}) is not None and json_problem([None, True, "goed"]) is None


def test_refused_input_keeps_the_callers_request_id(client):
    """The request's id and log line start before the input check: a refused request is
    traced under the id its caller sent, like any other."""
    answer = client.get("/?q=%00", headers={"X-Request-ID": "probe-4711"})
    assert answer.status_code == 400
    assert answer.headers["X-Request-ID"] == "probe-4711"


def test_a_page_number_of_two_minuses_is_the_first_page_not_an_error(client, engine):
    """`--1` passed the old digit check and broke int(): a 500 on every paged list."""
    for page in ("--1", "-1", "１", "1.0"):
        assert client.get(f"/?page={page}").status_code == 200, page
