"""Issue 19 (and 12): the rules of personal access tokens, pinned at their edges: the name's
length, the number of live tokens, the shape of a token, what `authenticate` accepts, how
often it records use, and that revoking finds only the right token."""

import secrets
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import ApiToken, User
from wijknet.platform.identity.tokens import (
    LAST_USED_RESOLUTION,
    MAX_LIVE_TOKENS,
    TOKEN_PREFIX,
    TokenError,
    authenticate,
    create_staff_token,
    create_token,
    revoke_token,
    token_hash,
    tokens_of,
)
from wijknet.platform.tenancy.operations import ensure_user

pytestmark = pytest.mark.tenancy


@pytest.fixture
def member(engine, make_tenant, make_member):
    lab = make_tenant()
    return lab, make_member(lab)


def _refusal(action) -> tuple[int, str]:
    with pytest.raises(TokenError) as refused:
        action()
    return refused.value.status, refused.value.code


def test_a_token_has_its_shape_and_only_its_hash_is_kept(engine, member):
    lab, user_id = member
    with Session(engine) as session, session.begin():
        token, plaintext = create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name="  Script  ")
        assert plaintext.startswith(TOKEN_PREFIX) and len(plaintext) == 4 + 43  # 32 random bytes
        assert token.prefix == plaintext[:12] and token.token_hash == token_hash(plaintext) and token.name == "Script"
        assert (token.scope, token.tenant_id) == ("tenant", lab.id)


@pytest.mark.parametrize(("name", "ok"), [("x", True), ("x" * 80, True), ("", False), ("   ", False), ("x" * 81, False)])
def test_a_token_name_is_1_to_80_characters(engine, member, name, ok):
    lab, user_id = member
    with Session(engine) as session:
        make = lambda: create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name=name)  # noqa: E731
        if ok:
            assert make()[0].name == name
        else:
            assert _refusal(make) == (400, "token.name_invalid")
        session.rollback()


def test_at_most_twenty_live_tokens_per_person_and_lab(engine, member, make_tenant, make_member):
    lab, user_id = member
    with Session(engine) as session:
        user = session.get(User, user_id)
        made = [create_token(session, tenant_id=lab.id, user=user, name=f"t{i}")[0] for i in range(MAX_LIVE_TOKENS)]
        assert MAX_LIVE_TOKENS == 20
        assert _refusal(lambda: create_token(session, tenant_id=lab.id, user=user, name="one too many")) == (
            409,
            "token.too_many",
        )
        revoke_token(session, tenant_id=lab.id, token_id=made[0].id, user=user)
        assert create_token(session, tenant_id=lab.id, user=user, name="in its place")[0].id  # a revoked one frees a place
        other_lab = make_tenant()
        from wijknet.platform.tenancy.models import Tenant
        from wijknet.platform.tenancy.operations import add_member

        add_member(session, session.get(Tenant, other_lab.id), user, "member")
        assert create_token(session, tenant_id=other_lab.id, user=user, name="elsewhere")[0].tenant_id == other_lab.id
        session.rollback()


def test_staff_tokens_count_apart_and_list_apart(engine, member):
    lab, user_id = member
    with Session(engine) as session:
        staff = ensure_user(session, f"st-{secrets.token_hex(3)}@wijknet.example", staff=True)
        staff_token = create_staff_token(session, user=staff, name="staff")[0]
        assert (staff_token.scope, staff_token.tenant_id) == ("staff", None)
        assert [t.id for t in tokens_of(session, staff, tenant_id=None)] == [staff_token.id]
        assert tokens_of(session, session.get(User, user_id), tenant_id=None) == []
        assert _refusal(lambda: create_staff_token(session, user=session.get(User, user_id), name="x")) == (
            403,
            "token.not_staff",
        )
        assert _refusal(lambda: revoke_token(session, tenant_id=lab.id, token_id=staff_token.id)) == (404, "token.not_found")
        assert revoke_token(session, tenant_id=None, token_id=staff_token.id, user=staff).revoked_at is not None
        session.rollback()


def test_authenticate_accepts_only_a_live_token_of_ours(engine, member):
    lab, user_id = member
    with Session(engine) as session, session.begin():
        token, plaintext = create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name="t")
        token_id = token.id
    with Session(engine) as session:
        found = authenticate(engine, session, plaintext)
        # The token itself, not its holder or membership (whose ids may be the same number).
        assert isinstance(found, ApiToken) and found.id == token_id
        for wrong in ("", plaintext[4:], "xyz_" + plaintext[4:], plaintext + "x", TOKEN_PREFIX + "x" * 97):
            assert authenticate(engine, session, wrong) is None, wrong
    longest = TOKEN_PREFIX + "y" * 96  # 100 characters: looked up (and not found), not refused unseen
    with Session(engine) as session:
        assert authenticate(engine, session, longest) is None


def test_use_is_recorded_at_most_once_a_minute(engine, member):
    lab, user_id = member
    with Session(engine) as session, session.begin():
        token, plaintext = create_token(session, tenant_id=lab.id, user=session.get(User, user_id), name="t")
        token_id = token.id
    assert LAST_USED_RESOLUTION == timedelta(minutes=1)

    def last_used():
        with Session(engine) as session:
            return session.get(ApiToken, token_id).last_used_at

    def use():
        with Session(engine) as session:
            authenticate(engine, session, plaintext)

    use()
    first = last_used()
    assert first is not None
    use()
    assert last_used() == first  # within the minute: not written again
    with Session(engine) as session, session.begin():
        earlier = datetime.now(timezone.utc) - timedelta(seconds=61)
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=earlier))
    use()
    assert last_used() > earlier + timedelta(seconds=30)
    with Session(engine) as session, session.begin():
        just = datetime.now(timezone.utc) - timedelta(seconds=50)
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=just))
    use()
    assert last_used() == just  # 50 seconds ago: still within the minute


def test_a_malformed_token_is_refused_without_asking_the_database(engine, member):
    """Only a string of our shape (the prefix, at most 100 characters) is looked up."""
    from sqlalchemy import event

    statements = []

    def count(*_args, **_kw):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for text, looked_up in (
            ("abc", False),  # not ours: no prefix
            (TOKEN_PREFIX + "z" * 97, False),  # 101 characters
            (TOKEN_PREFIX + "z" * 96, True),  # 100 characters: ours in shape, looked up, not found
            (TOKEN_PREFIX + "z" * 95, True),
        ):
            statements.clear()
            with Session(engine) as session:
                assert authenticate(engine, session, text) is None
            assert bool(statements) == looked_up, (len(text), statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_tokens_are_listed_per_lab_and_only_members_get_one(engine, make_tenant, make_member):
    first, second = make_tenant(), make_tenant()
    user_id = make_member(first)
    make_member(second)
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        from wijknet.platform.tenancy.models import Tenant
        from wijknet.platform.tenancy.operations import add_member

        add_member(session, session.get(Tenant, second.id), user, "member")
        in_first = create_token(session, tenant_id=first.id, user=user, name="eerste")[0]
        in_second = create_token(session, tenant_id=second.id, user=user, name="tweede")[0]
        assert [t.id for t in tokens_of(session, user, tenant_id=first.id)] == [in_first.id]
        assert [t.id for t in tokens_of(session, user, tenant_id=second.id)] == [in_second.id]
        assert tokens_of(session, user, tenant_id=None) == []
        stranger = ensure_user(session, f"vreemd-{secrets.token_hex(3)}@example.org", "Vreemd")
        assert _refusal(lambda: create_token(session, tenant_id=first.id, user=stranger, name="x")) == (403, "token.not_a_member")
