"""Issue 16, item 7, for every list in a lab's API (walked from the URL map, so a new list
is held too): `page_size` is honoured and agrees with the X-Pagination header, sizes past
the cap and pages before the first are refused with a JSON 422, never a 500."""

import json
import math

import pytest
from sqlalchemy.orm import Session

from tests.tenants.test_every_route_is_guarded import _lab_with_content, tenant_routes
from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token

pytestmark = pytest.mark.tenancy


def paginated_lists(app, values):
    for endpoint, method, path in tenant_routes(app, values):
        view = app.view_functions[endpoint]
        handler = getattr(getattr(view, "view_class", None), "get", view)
        if method == "GET" and "/api/" in path and "pagination" in getattr(handler, "_apidoc", {}):
            yield endpoint, path


def test_every_list_pages_as_its_header_says(app, engine, make_tenant, make_member):
    with app.app_context():
        lab, values = _lab_with_content(engine, make_tenant, make_member)
    admin = make_member(lab, "admin")
    with Session(engine) as session, session.begin():
        token = create_token(session, tenant_id=lab.id, user=session.get(User, admin), name="paging")[1]
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    lists = list(paginated_lists(app, values))
    assert {"board_api.Posts", "tenant_people.Members"} <= {e for e, _ in lists}
    for endpoint, path in lists:
        path = path.replace("<slug>", lab.slug)
        whole = client.get(path, headers=auth, query_string={"page_size": 100})
        assert whole.status_code == 200, (endpoint, whole.json)
        total = json.loads(whole.headers["X-Pagination"])["total"]
        assert total == len(whole.json), endpoint
        first = client.get(path, headers=auth, query_string={"page_size": 1})
        meta = json.loads(first.headers["X-Pagination"])
        assert len(first.json) == min(1, total) and meta["total"] == total, endpoint
        assert meta.get("total_pages", 0) == math.ceil(total / 1), endpoint
        if total >= 2:
            second = client.get(path, headers=auth, query_string={"page_size": 1, "page": 2})
            assert second.json and second.json != first.json, endpoint
        for bad in ({"page_size": 101}, {"page_size": 0}, {"page": 0}, {"page_size": "ten"}, {"page": 10**20}):
            answer = client.get(path, headers=auth, query_string=bad)
            assert answer.status_code == 422 and answer.is_json and answer.json["code"] == "validation", (endpoint, bad)
