"""Issue 19: the login rules at the level of the operations (the OpenID flow itself is in
test_login.py): which user an identity finds or makes, per lab; the name and address it
gets; claim links' lifetime, length and answers; what email addresses are accepted. Each
test pins a rule mutation testing found unguarded (make mutate)."""

import secrets
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import User
from wijknet.platform.identity.operations import (
    CLAIM_DAYS,
    NAME_MAX,
    LoginRefused,
    clean_email,
    create_claim,
    end_sessions,
    find_claim,
    take_claim,
    user_for_identity,
)
from wijknet.platform.tenancy.operations import ensure_user

pytestmark = pytest.mark.tenancy
ISSUER = "https://id.example.org"


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s
        s.rollback()


def _sub() -> str:
    return secrets.token_hex(6)


def _refusal(action) -> tuple[int, str]:
    with pytest.raises(LoginRefused) as refused:
        action()
    return refused.value.status, refused.value.code


def test_a_labs_provider_finds_its_own_users_again_and_only_in_that_lab(session, make_tenant):
    a, b = make_tenant(), make_tenant()
    sub, claims = _sub(), {"email": "sam@lab.example", "name": "Sam"}
    first = user_for_identity(session, issuer=ISSUER, subject=sub, claims=claims, tenant_id=a.id)
    assert first.tenant_id == a.id
    assert user_for_identity(session, issuer=ISSUER, subject=sub, claims=claims, tenant_id=a.id).id == first.id
    in_b = user_for_identity(session, issuer=ISSUER, subject=sub, claims=claims, tenant_id=b.id)
    assert in_b.id != first.id and in_b.tenant_id == b.id  # the same subject at another lab's provider: another person
    network = user_for_identity(session, issuer=ISSUER, subject=sub, claims={"name": "Sam"})
    assert network.id not in (first.id, in_b.id) and network.tenant_id is None
    assert user_for_identity(session, issuer=ISSUER, subject=sub, claims={}).id == network.id


def test_two_logins_of_one_labs_provider_do_not_share_an_address(session, make_tenant):
    a, b = make_tenant(), make_tenant()
    email = f"gedeeld-{secrets.token_hex(3)}@lab.example"
    first = user_for_identity(session, issuer=ISSUER, subject=_sub(), claims={"email": email}, tenant_id=a.id)
    second = user_for_identity(session, issuer=ISSUER, subject=_sub(), claims={"email": email.upper()}, tenant_id=a.id)
    other = user_for_identity(session, issuer=ISSUER, subject=_sub(), claims={"email": "ander@lab.example"}, tenant_id=a.id)
    elsewhere = user_for_identity(session, issuer=ISSUER, subject=_sub(), claims={"email": email}, tenant_id=b.id)
    assert (first.email, second.email) == (email, None)  # the first keeps it; the second has none
    assert other.email == "ander@lab.example" and elsewhere.email == email  # other addresses, other labs: kept


@pytest.mark.parametrize(
    ("claims", "name"),
    [
        ({"name": "  Fatima   El  Amrani ", "preferred_username": "fatima"}, "Fatima El Amrani"),
        ({"preferred_username": "fatima.e"}, "fatima.e"),
        ({"email": "wim.de.boer@voorbeeld.nl"}, "wim.de.boer"),
        ({}, "Bewoner"),
        ({"name": "   "}, "Bewoner"),
        ({"name": "x" * 300}, "x" * 120),
    ],
)
def test_a_new_users_name_comes_from_the_claims(session, claims, name):
    assert NAME_MAX == 120
    assert user_for_identity(session, issuer=ISSUER, subject=_sub(), claims=claims).name == name


def test_an_existing_account_is_not_handed_over_by_default(session):
    email = f"vooraf-{secrets.token_hex(3)}@example.org"
    ensure_user(session, email, "Vooraf")
    claims = {"email": email, "email_verified": True}
    assert _refusal(lambda: user_for_identity(session, issuer=ISSUER, subject=_sub(), claims=claims)) == (
        403,
        "login.account_exists",
    )


def test_claim_links_last_their_days_are_long_and_answer_precisely(session, make_tenant):
    user = ensure_user(session, f"claim-{secrets.token_hex(3)}@example.org", "Claim")
    before = datetime.now(timezone.utc)
    token = create_claim(session, user, actor="test")
    claim = find_claim(session, token)
    assert CLAIM_DAYS == 14 and len(token) == 32  # 24 random bytes
    assert before + timedelta(days=14) <= claim.expires_at <= datetime.now(timezone.utc) + timedelta(days=14)
    claim.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert _refusal(lambda: find_claim(session, token)) == (410, "login.claim_expired")
    assert _refusal(lambda: find_claim(session, "no-such-link")) == (404, "login.claim_not_found")

    lab_user = user_for_identity(session, issuer=ISSUER, subject=_sub(), claims={}, tenant_id=make_tenant().id)
    assert _refusal(lambda: create_claim(session, lab_user, actor="test")) == (409, "login.lab_account")

    taken = ensure_user(session, f"genomen-{secrets.token_hex(3)}@example.org", "Genomen")
    second_token = create_claim(session, taken, actor="test")
    user_for_identity(session, issuer=ISSUER, subject=_sub(), claims={}, claim_token=create_claim(session, taken, actor="t"))
    assert _refusal(lambda: take_claim(session, second_token)) == (409, "login.account_taken")


def test_signing_out_everywhere_moves_the_generation_on(session):
    user = ensure_user(session, f"uit-{secrets.token_hex(3)}@example.org")
    session.flush()
    before = user.session_generation
    end_sessions(session, user.id)
    assert session.scalars(select(User.session_generation).where(User.id == user.id)).one() > before


@pytest.mark.parametrize("raw", [None, 42, ["a@b.nl"], "", "   ", '"john doe"@example.org', "a" * 64 + "@" + "b" * 250 + ".nl"])
def test_unusable_addresses_are_none(raw):
    assert clean_email(raw) is None


def test_the_longest_address_is_kept_and_no_mail_server_is_asked():
    longest = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".nl"
    assert len(longest) == 254 and clean_email(longest) == longest
    assert clean_email(longest + "x") is None
    # a domain nobody has registered: accepted (we check the form, not the mail server)
    assert clean_email(" Bewoner@Nergens-Geregistreerd-7f3a9.nl ") == "Bewoner@nergens-geregistreerd-7f3a9.nl"
