"""Issue 17: a request that is too large is refused with 413 and says the limit, as JSON
for the API (in the asker's language) and as a page; nothing is stored."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Post

pytestmark = pytest.mark.tenancy
TOO_LARGE = b'{"title": "' + b"x" * (3 * 1024 * 1024) + b'"}'


def test_too_large_is_413_with_the_limit_in_words(client, engine, make_tenant, make_member):
    lab = make_tenant(modules=("board",))
    user_id = make_member(lab)
    with Session(engine) as session, session.begin():
        token = create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name="t")[1]
    path = f"/t/{lab.slug}/api/v1/board/posts"
    for language, words in (
        ("en", "What you sent is too large: at most 2 MB."),
        ("nl", "Wat je stuurde is te groot: hoogstens 2 MB."),
    ):
        answer = client.post(
            path,
            data=TOO_LARGE,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Language": language},
        )
        assert answer.status_code == 413
        assert answer.json == {"code": "request_entity_too_large", "status": 413, "message": words, "errors": {}}
    page = client.post("/login", data=TOO_LARGE, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413 and "Wat je stuurde is te groot: hoogstens 2 MB." in page.get_data(as_text=True)
    with tenant_unit_of_work(engine, lab) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 0
