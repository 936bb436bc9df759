"""Issue 19: a token is for one lab. Its person is a member of two labs here, and every
request is valid, so without the token-scope check every call below would succeed. Every
tenant API route of the app is called (walked from the URL map): a new route without an
example here fails the test."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.models import Tenant
from wijknet.platform.tenancy.operations import add_member, ensure_user
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.assets.operations import create_asset, request_booking
from wijknet.tenants.board.models import Post
from wijknet.tenants.board.operations import create_post
from wijknet.tenants.contracts.operations import create_contract
from wijknet.tenants.contracts.settings import ContractSettings
from wijknet.tenants.core.models import Member

pytestmark = pytest.mark.tenancy

POST = {"kind": "offer", "title": "Ik snoei heggen", "body": "Met eigen schaar.", "categories": ["groen"]}
SOON = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
CONTRACTS = ContractSettings().load({})
CAR = {"kind": "car", "name": "Deelauto", "price_cents": 400, "price_unit": "hour"}
# (method, body) per route of the tenant API; {post_id} is a post of the lab in the URL.
EXAMPLES = {
    ("GET", "/t/<slug>/api/v1/members"): None,
    ("GET", "/t/<slug>/api/v1/me"): None,
    ("GET", "/t/<slug>/api/v1/board/posts"): None,
    ("POST", "/t/<slug>/api/v1/board/posts"): POST,
    ("GET", "/t/<slug>/api/v1/board/posts/<int:post_id>"): None,
    ("PUT", "/t/<slug>/api/v1/board/posts/<int:post_id>"): POST,
    ("POST", "/t/<slug>/api/v1/board/posts/<int:post_id>/close"): None,
    ("GET", "/t/<slug>/api/v1/board/posts/<int:post_id>/suggestions"): None,
    ("POST", "/t/<slug>/api/v1/board/posts/<int:post_id>/reactions"): {"kind": "help", "message": "Ik help graag."},
    ("GET", "/t/<slug>/api/v1/assets/"): None,
    ("POST", "/t/<slug>/api/v1/assets/"): CAR,
    ("GET", "/t/<slug>/api/v1/assets/<int:asset_id>"): None,
    ("PUT", "/t/<slug>/api/v1/assets/<int:asset_id>"): CAR,
    ("GET", "/t/<slug>/api/v1/assets/<int:asset_id>/availability"): None,
    ("POST", "/t/<slug>/api/v1/assets/<int:asset_id>/bookings"): {
        "starts_at": SOON.isoformat(),
        "ends_at": (SOON + timedelta(hours=2)).isoformat(),
    },
    ("GET", "/t/<slug>/api/v1/assets/<int:asset_id>/shares"): None,
    ("PUT", "/t/<slug>/api/v1/assets/<int:asset_id>/shares"): {"shares": [{"party": "lab", "basis_points": 10000}]},
    ("GET", "/t/<slug>/api/v1/assets/<int:asset_id>/maintenance"): None,
    ("POST", "/t/<slug>/api/v1/assets/<int:asset_id>/maintenance"): {"kind": "damage", "description": "Kras op de deur"},
    ("GET", "/t/<slug>/api/v1/assets/bookings"): None,
    ("GET", "/t/<slug>/api/v1/assets/bookings/<int:booking_id>"): None,
    ("POST", "/t/<slug>/api/v1/assets/bookings/<int:booking_id>/<step>"): {"reason": "ziek"},
    ("GET", "/t/<slug>/api/v1/assets/earnings"): None,
    ("GET", "/t/<slug>/api/v1/assets/payouts"): None,
    ("POST", "/t/<slug>/api/v1/assets/payouts"): {"party": "organisation:1"},
    ("GET", "/t/<slug>/api/v1/ledger/accounts"): None,
    ("GET", "/t/<slug>/api/v1/ledger/entries"): None,
    ("GET", "/t/<slug>/api/v1/contracts/"): None,
    ("POST", "/t/<slug>/api/v1/contracts/"): {"title": "Groenonderhoud", "value_cents": 100_000},
    ("GET", "/t/<slug>/api/v1/contracts/<int:contract_id>"): None,
    ("PUT", "/t/<slug>/api/v1/contracts/<int:contract_id>"): {"title": "Groenonderhoud 2027", "value_cents": 100_000},
    ("GET", "/t/<slug>/api/v1/contracts/<int:contract_id>/transitions"): None,
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/transitions"): {"to": "proposed", "reason": "naar het bestuur"},
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/approvals"): None,
    ("GET", "/t/<slug>/api/v1/contracts/<int:contract_id>/vote"): None,
    ("PUT", "/t/<slug>/api/v1/contracts/<int:contract_id>/vote"): {"choice": "for"},
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/vote/close"): None,
    ("GET", "/t/<slug>/api/v1/contracts/<int:contract_id>/ocds"): None,
    ("GET", "/t/<slug>/api/v1/contracts/<int:contract_id>/budget"): None,
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/expenses"): {
        "budget_line_id": 1,
        "amount_cents": 100,
        "description": "Snoeischaar",
    },
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/income"): {"amount_cents": 100, "description": "Eerste termijn"},
    ("GET", "/t/<slug>/api/v1/contracts/<int:contract_id>/progress"): None,
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/progress"): {"text": "Heggen gesnoeid", "hours": 12},
    ("GET", "/t/<slug>/api/v1/contracts/<int:contract_id>/social-return"): None,
    ("GET", "/t/<slug>/api/v1/contracts/<int:contract_id>/documents"): None,
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/documents"): {
        "title": "Getekend contract",
        "url": "https://rotterdam.example/contract.pdf",
    },
    ("GET", "/t/<slug>/api/v1/contracts/organisations"): None,
    ("POST", "/t/<slug>/api/v1/contracts/organisations"): {"name": "Buurtfonds Zuid", "kind": "foundation"},
    ("GET", "/t/<slug>/api/v1/contracts/organisations/<int:organisation_id>/contacts"): None,
    ("POST", "/t/<slug>/api/v1/contracts/organisations/<int:organisation_id>/contacts"): {
        "name": "Wethouder Groen",
        "role": "wethouder",
    },
}
# A 409 that is the rule speaking, not the scope: nothing is due to anyone in this lab.
# And a contract's rules: the person proposed it (proposers never approve), no vote is open
# on a contract below the threshold, a proposed contract is no longer changed.
RULE_ANSWERS = {
    ("POST", "/t/<slug>/api/v1/assets/payouts"): 409,
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/approvals"): 409,
    ("PUT", "/t/<slug>/api/v1/contracts/<int:contract_id>/vote"): 409,
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/vote/close"): 409,
    ("PUT", "/t/<slug>/api/v1/contracts/<int:contract_id>"): 409,  # proposed by then: only a draft changes
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/expenses"): 409,  # not signed: no money yet
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/income"): 409,
    ("POST", "/t/<slug>/api/v1/contracts/<int:contract_id>/progress"): 409,
}


def _organisation_id(session) -> int:
    from wijknet.tenants.core.models import Organisation

    organisation = Organisation(name="Gemeente Rotterdam", kind="municipality")
    session.add(organisation)
    session.flush()
    return organisation.id


def tenant_api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/t/<slug>/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def test_every_tenant_api_route_has_an_example(app):
    missing = [route for route in tenant_api_routes(app) if route not in EXAMPLES]
    assert missing == [], f"add an example request to EXAMPLES for {missing}"


def test_a_token_of_lab_a_opens_nothing_in_lab_b_even_for_a_member_of_both(app, engine, make_tenant):
    everything = ("board", "assets", "ledger", "contracts")
    a, b = make_tenant(modules=everything), make_tenant(modules=everything)
    with Session(engine) as session, session.begin():
        person = ensure_user(session, "in-twee-labs@example.org", "Twee Labs")
        author = ensure_user(session, "auteur-b@example.org", "Auteur B")
        for lab in (a, b):
            add_member(session, session.get(Tenant, lab.id), person, "admin")
        add_member(session, session.get(Tenant, b.id), author, "member")
        token_a = create_token(session, tenant_id=a.id, user=person, name="a")[1]
        token_b = create_token(session, tenant_id=b.id, user=person, name="b")[1]
        author_id = author.id
    with tenant_unit_of_work(engine, b) as session:
        writer = session.scalars(select(Member).where(Member.user_id == author_id)).one()
        post_b = create_post(
            session,
            writer,
            {"categories": ["groen"], "posts_per_day": 100, "approval_required": False},
            kind="need",
            title="Wie snoeit mijn heg?",
            body="Hoog",
            categories=["groen"],
            organisation=None,
            area=None,
            valid_until=None,
        ).id
        car = create_asset(session, session.scalars(select(Member).where(Member.role == "admin")).first(), CAR)
        start = datetime.now(timezone.utc) + timedelta(days=5)
        booking = request_booking(
            session, car, writer, {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}
        )
        ids = {
            "<int:post_id>": str(post_b),
            "<int:asset_id>": str(car.id),
            "<int:booking_id>": str(booking.id),
            "<step>": "cancel",
            "<int:contract_id>": str(
                create_contract(
                    session,
                    session.scalars(select(Member).where(Member.role == "admin")).first(),
                    {"title": "Groen", "value_cents": 100},
                    CONTRACTS,
                ).id
            ),
            "<int:organisation_id>": str(_organisation_id(session)),
        }

    def concrete(rule: str) -> str:
        path = rule.replace("<slug>", b.slug)
        for argument, value in ids.items():
            path = path.replace(argument, value)
        return path

    client = app.test_client()
    for method, rule in sorted(tenant_api_routes(app)):
        path = concrete(rule)
        body = EXAMPLES[(method, rule)]
        foreign = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token_a}"})
        assert foreign.status_code == 404, (method, rule, foreign.status_code)
        assert "Wie snoeit" not in foreign.get_data(as_text=True) and "Twee Labs" not in foreign.get_data(as_text=True)
    # The same requests with B's own token do what they say (so the 404s above are the scope).
    for method, rule in sorted(tenant_api_routes(app), key=lambda r: (r[0] != "GET", "close" in r[1], r)):
        path = concrete(rule)
        own = client.open(path, method=method, json=EXAMPLES[(method, rule)], headers={"Authorization": f"Bearer {token_b}"})
        ok = {200, 201, 403, RULE_ANSWERS.get((method, rule))}
        assert own.status_code in ok, (method, rule, own.status_code, own.get_data(as_text=True)[:300])
    with tenant_unit_of_work(engine, a) as session:
        assert session.scalar(select(Post.id).limit(1)) is None  # nothing landed in A either
