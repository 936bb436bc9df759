"""Security review finding 3: a membership spans the platform and the lab. The platform is
the truth; the lab's copy follows after the platform commits, is repaired by a job when the
process dies in between, and never gives access on its own."""

import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import Membership, User
from wijknet.platform.tenancy import follow_up
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import add_member, ensure_user, remove_member
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.operations import sync_member

pytestmark = pytest.mark.tenancy


def _member(engine, tenant, user_id):
    with tenant_unit_of_work(engine, tenant) as session:
        member = session.scalars(select(Member).where(Member.user_id == user_id)).one_or_none()
        if member is not None:
            session.expunge(member)
        return member


def _user(engine, name="Buur"):
    import secrets

    with Session(engine) as session, session.begin():
        return ensure_user(session, f"{secrets.token_hex(4)}@example.org", name).id


def test_a_platform_rollback_leaves_nothing_in_the_lab(engine, make_tenant):
    tenant, user_id = make_tenant(), _user(engine)
    with Session(engine) as session:
        add_member(session, session.get(Tenant, tenant.id), session.get(User, user_id), "admin")
        session.rollback()
    assert _member(engine, tenant, user_id) is None
    with engine.connect() as conn:  # and the repair job went with the rollback
        assert (
            conn.execute(
                text(
                    "SELECT count(*) FROM jobs.procrastinate_jobs WHERE task_name = 'wijknet.follow_up'"
                    " AND (args->'payload'->>'user_id')::bigint = :u"
                ),
                {"u": user_id},
            ).scalar()
            == 0
        )


def test_the_lab_copy_follows_the_platform_commit(engine, make_tenant):
    tenant, user_id = make_tenant(), _user(engine, "Nieuw")
    with Session(engine) as session, session.begin():
        add_member(session, session.get(Tenant, tenant.id), session.get(User, user_id), "moderator")
    member = _member(engine, tenant, user_id)
    assert (member.display_name, member.role, member.left_at) == ("Nieuw", "moderator", None)
    with Session(engine) as session, session.begin():
        remove_member(session, session.get(Tenant, tenant.id), session.get(User, user_id))
    assert _member(engine, tenant, user_id).left_at is not None  # the row stays: their posts stay theirs


def test_a_failure_between_the_two_commits_is_repaired_by_the_job(engine, make_tenant, run_cli, monkeypatch):
    tenant, user_id = make_tenant(), _user(engine)

    def crash(*_args):
        raise ConnectionError("the process died between the two commits")

    monkeypatch.setitem(follow_up.KINDS, "membership", crash)
    with Session(engine) as session, session.begin():
        add_member(session, session.get(Tenant, tenant.id), session.get(User, user_id), "member")
    monkeypatch.undo()
    assert _member(engine, tenant, user_id) is None  # half done, for now
    done = run_cli("worker", "--until-empty")
    assert done.returncode == 0, done.stderr
    assert _member(engine, tenant, user_id).role == "member"


def test_a_lab_row_without_a_platform_membership_gives_no_access(engine, make_tenant, client, login_as):
    """The half membership the review found: the lab's copy says member, the platform does not."""
    tenant, user_id = make_tenant(modules=("board",)), _user(engine)
    with tenant_unit_of_work(engine, tenant) as session:
        sync_member(session, user_id=user_id, display_name="Half", role="member")
    login_as(client, user_id)
    assert client.get(f"/t/{tenant.slug}/board/new").status_code == 404
    assert client.get(f"/t/{tenant.slug}/members").status_code == 404


def test_a_lab_copy_that_lags_behind_is_brought_in_line_on_access(engine, make_tenant, client, login_as):
    tenant, user_id = make_tenant(modules=("board",)), _user(engine, "Laat")
    with Session(engine) as session, session.begin():  # a membership written behind the operations' back
        session.add(Membership(tenant_id=tenant.id, user_id=user_id, role="member"))
    assert _member(engine, tenant, user_id) is None
    login_as(client, user_id)
    page = client.get(f"/t/{tenant.slug}/board/new")
    assert page.status_code == 200 and re.search(r'name="csrf_token"', page.get_data(as_text=True))
    assert _member(engine, tenant, user_id).display_name == "Laat"


def test_a_lagging_copy_is_left_alone_in_a_request_that_changed_the_platform(app, engine, make_tenant):
    """A request commits one store: when it has written the platform (a join, say), the
    lab's copy is not repaired in it (the follow-up of that change makes the copy)."""
    from flask import g

    from wijknet.platform.tenancy.routing import platform_db, tenant_db
    from wijknet.tenants.core.access import current_member

    tenant, user_id = make_tenant(modules=("board",)), _user(engine, "Later")
    with Session(engine) as session, session.begin():
        session.add(Membership(tenant_id=tenant.id, user_id=user_id, role="member"))
    with app.test_request_context(f"/t/{tenant.slug}/"):
        g.tenant = app.extensions["wijknet"].directory.by_slug(tenant.slug)
        g.user = platform_db().get(User, user_id)
        platform_db().info["wrote"] = True
        assert current_member() is None
        assert not tenant_db().info.get("wrote")
    assert _member(engine, tenant, user_id) is None
    with app.test_request_context(f"/t/{tenant.slug}/"):  # a request that only reads repairs it
        g.tenant = app.extensions["wijknet"].directory.by_slug(tenant.slug)
        g.user = platform_db().get(User, user_id)
        assert current_member().display_name == "Later"


def test_a_lagging_copy_in_a_suspended_lab_is_left_alone_and_the_page_still_answers(engine, make_tenant, client, login_as):
    """A suspended lab is read-only in the database: the copy cannot be repaired there, so the
    person is nobody in it until it is resumed (no failed write, no error page)."""
    from wijknet.platform.tenancy.operations import set_tenant_status

    tenant, user_id = make_tenant(modules=("board",)), _user(engine, "Geschorst")
    with Session(engine) as session, session.begin():
        session.add(Membership(tenant_id=tenant.id, user_id=user_id, role="member"))
        set_tenant_status(session, tenant.slug, "suspended", actor="test")
    login_as(client, user_id)
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    assert client.get(f"/t/{tenant.slug}/members").status_code == 404
    assert _member(engine, tenant, user_id) is None
