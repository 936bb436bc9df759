"""Issue 11: every route of a living lab, walked from the app's URL map, refuses an anonymous
visitor, a member of another lab and an API token of another lab, unless the route is one
of the few that are public on purpose. A new view that forgets its check fails here."""

import re

import pytest
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import User
from wijknet.platform.identity.tokens import create_token

pytestmark = pytest.mark.tenancy

# Open to anyone on purpose (a lab's front door). Everything else is for members.
PUBLIC = {"tenant_core.home", "joining.join_page", "joining.invitation_page"}
# (The board's unsubscribe link is open to anyone with a signed key; "not-a-key" is refused.)
VALUES = {
    "post_id": "1",
    "reaction_id": "1",
    "token": "not-a-token",
    "key": "not-a-key",
    "request_id": "1",
    "provider_id": "1",
    "name": "board",
    "token_id": "1",
    "user_id": "1",
    "asset_id": "1",
    "booking_id": "1",
    "photo_id": "1",
    "entry_id": "1",
    "step": "cancel",
    "contract_id": "1",
    "organisation_id": "1",
}


def tenant_routes(app, values=VALUES):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/t/<slug>"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                path = rule.rule
                for argument in rule.arguments - {"slug"}:
                    path = re.sub(rf"<(?:\w+:)?{argument}>", str(values[argument]), path)
                yield rule.endpoint, method, path


def _lab_with_content(engine, make_tenant, make_member):
    """A members-only lab with a post and a conversation, so the ids in the paths are real:
    a refusal must come from the access check, not from "not found"."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from tests.support.images import png
    from wijknet.platform.tenancy.uow import tenant_unit_of_work
    from wijknet.tenants.assets.operations import add_photo, create_asset, report_maintenance, request_booking
    from wijknet.tenants.board.operations import create_post, react
    from wijknet.tenants.contracts.operations import create_contract
    from wijknet.tenants.contracts.settings import ContractSettings
    from wijknet.tenants.core.models import Member

    lab = make_tenant(modules=("board", "assets", "contracts", "ledger"))
    author, helper, admin_user = make_member(lab), make_member(lab), make_member(lab, "admin")
    with tenant_unit_of_work(engine, lab) as session:
        members = {m.user_id: m for m in session.scalars(select(Member))}
        post = create_post(
            session,
            members[author],
            {"categories": ["groen"], "posts_per_day": 10, "approval_required": False},
            kind="need",
            title="Snoeien gezocht",
            body="Heg",
            categories=["groen"],
            organisation=None,
            area=None,
            valid_until=None,
        )
        reaction = react(session, post, members[helper], kind="help", message="Ik kom")
        admin = next(m for m in members.values() if m.user_id == admin_user)
        car = create_asset(session, admin, {"kind": "car", "name": "Deelauto", "price_cents": 400, "price_unit": "hour"})
        start = datetime.now(timezone.utc) + timedelta(days=3)
        booking = request_booking(
            session, car, members[author], {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
        )
        entry = report_maintenance(session, car, members[author], {"kind": "damage", "description": "Kras op de deur"})
        photo = add_photo(session, car, admin, png())
        contract = create_contract(session, admin, {"title": "Groenonderhoud", "value_cents": 100}, ContractSettings().load({}))
        return lab, dict(
            VALUES,
            post_id=post.id,
            reaction_id=reaction.id,
            asset_id=car.id,
            booking_id=booking.id,
            entry_id=entry.id,
            photo_id=photo.id,
            contract_id=contract.id,
            organisation_id=_organisation(session),
        )


def _organisation(session) -> int:
    from wijknet.tenants.core.models import Organisation

    organisation = Organisation(name="Woonstad", kind="housing_corporation")
    session.add(organisation)
    session.flush()
    return organisation.id


def test_the_rule_covers_every_route(app):
    routes = list(tenant_routes(app))
    assert len(routes) > 30
    assert {"board.index", "board.new_post", "admin.modules", "tenant_people.Members"} <= {e for e, _m, _p in routes} | {
        "tenant_people.Members"
    }


def test_no_route_of_a_lab_opens_for_a_stranger(app, engine, make_tenant, make_member, login_as):
    with app.app_context():  # the photo goes to the app's storage
        lab, values = _lab_with_content(engine, make_tenant, make_member)  # members-only board
    other = make_tenant(modules=("board",))
    stranger = make_member(other, "admin")  # an admin, of another lab
    with Session(engine) as session, session.begin():
        token = create_token(session, tenant_id=other.id, user=session.get(User, stranger), name="t")[1]
    anonymous = app.test_client()
    signed_in = login_as(app.test_client(), stranger)
    csrf = {id(anonymous): _csrf_for(app, anonymous), id(signed_in): _csrf_for(app, signed_in)}
    opened = []
    for endpoint, method, path in tenant_routes(app, values):
        path = path.replace("<slug>", lab.slug)
        api = "/api/" in path
        for who, client, headers in (
            ("anonymous", anonymous, {}),
            ("stranger", signed_in, {}),
            ("other lab's token", anonymous, {"Authorization": f"Bearer {token}"}),
        ):
            if who == "other lab's token" and not api:
                continue
            data = {"csrf_token": csrf[id(client)]} if method != "GET" and not api else None
            answer = client.open(path, method=method, headers=headers, data=data, json={} if api and method != "GET" else None)
            refused = answer.status_code in (401, 404) or (answer.status_code == 302 and "/login" in answer.headers["Location"])
            if endpoint in PUBLIC:
                continue  # its own tests say what it shows
            if not refused:
                opened.append(f"{who} {method} {path} -> {answer.status_code}")
    assert opened == [], "\n".join(opened)


def _csrf_for(app, client) -> str:
    """A valid form token for this client, so a refusal below is the access check, not CSRF."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context():
        signed, raw = generate_csrf(), session["csrf_token"]
    with client.session_transaction() as flask_session:
        flask_session["csrf_token"] = raw
    return signed


def test_platform_never_imports_a_module_by_name():
    """Modules are found through the registry; `platform/` names none of them (the core,
    which every lab has, is the one exception)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "platform"
    offenders = [
        f"{p.relative_to(root.parent)}:{n}"
        for p in root.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"wijknet\.tenants\.(?!core\b)[a-z_]+", line)
    ]
    assert offenders == []
