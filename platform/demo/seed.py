"""The demo network: three living labs modelled on real kinds, with their people."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..tenancy.models import Tenant
from ..tenancy.operations import add_member, ensure_user
from ..tenancy.provisioning import TenantSpec, provision_tenant

LABS = [
    TenantSpec(
        slug="de-werkplaats", name="De Werkplaats", type="cooperative", region="Utrecht Zuilen",
        tagline="Twaalf zelfstandigen delen een oud schoolgebouw: werkplekken, gereedschap en opdrachten.",
        plan="buurt", modules=("board", "assets", "ledger"),
    ),
    TenantSpec(
        slug="startersco", name="Starterscoöperatie Op Eigen Kracht", type="social_cooperative",
        region="Amsterdam Nieuw-West",
        tagline="Mensen uit de bijstand bouwen samen een eigen bedrijf op, met coaching en gedeelde administratie.",
        plan="pilot", modules=("board", "contracts", "ledger"),
    ),
    TenantSpec(
        slug="tarwewijk", name="All Inclusive Wijk Tarwewijk", type="wijkbedrijf", region="Rotterdam-Zuid",
        tagline="Het wijkbedrijf onderhoudt groen en woningen voor gemeente en corporatie, met werk voor bewoners.",
        plan="netwerk", modules=("board", "assets", "contracts", "ledger"),
    ),
]

# (email, name, {slug: role}, staff)
PEOPLE = [
    ("staf@wijknet.example", "Sanne de Staf", {}, True),
    ("fatima@werkplaats.example", "Fatima El Amrani", {"de-werkplaats": "admin"}, False),
    ("joost@werkplaats.example", "Joost Verhoeven", {"de-werkplaats": "moderator"}, False),
    ("eva@werkplaats.example", "Eva Smit", {"de-werkplaats": "member"}, False),
    ("mohamed@startersco.example", "Mohamed Yilmaz", {"startersco": "admin"}, False),
    ("linda@startersco.example", "Linda Bakker", {"startersco": "moderator"}, False),
    ("kees@startersco.example", "Kees Janssen", {"startersco": "member"}, False),
    ("anouk@tarwewijk.example", "Anouk Pinas", {"tarwewijk": "admin"}, False),
    ("ricardo@tarwewijk.example", "Ricardo Martina", {"tarwewijk": "moderator"}, False),
    ("gerda@tarwewijk.example", "Gerda de Vries", {"tarwewijk": "member", "de-werkplaats": "member"}, False),
]


def seed_demo(engine: Engine, *, role_prefix: str, migrations_dir: str) -> Iterator[str]:
    for spec in LABS:
        with Session(engine) as session:
            existing = session.scalars(select(Tenant).where(Tenant.slug == spec.slug)).one_or_none()
        if existing is not None and existing.status != "provisioning":
            yield f"living lab {spec.slug}: already there"
            continue
        tenant = provision_tenant(engine, spec, role_prefix=role_prefix, migrations_dir=migrations_dir, actor="demo-seed")
        yield f"living lab {tenant.slug}: created ({tenant.schema_name})"
    with Session(engine) as session, session.begin():
        tenants = {t.slug: t for t in session.scalars(select(Tenant).where(Tenant.slug.in_([s.slug for s in LABS])))}
        for email, name, roles, staff in PEOPLE:
            user = ensure_user(session, email, name, staff=staff)
            for slug, role in roles.items():
                add_member(session, tenants[slug], user, role)
    yield f"people: {len(PEOPLE)} ({sum(len(p[2]) for p in PEOPLE)} memberships)"
    yield from seed_board(engine)


def seed_board(engine: Engine) -> Iterator[str]:
    """The Dutch board fixture in every lab with the board on, once; in Tarwewijk a first
    conversation too (post 1 gets a reaction), so the demo shows a thread."""
    from datetime import date, datetime, timedelta, timezone

    from wijknet.tenants import MODULES
    from wijknet.tenants.board.fixtures import load_fixture
    from wijknet.tenants.board.models import Post
    from wijknet.tenants.board.operations import create_post, react
    from wijknet.tenants.core.models import Member

    from ..tenancy.lookups import TenantDirectory
    from ..tenancy.uow import tenant_unit_of_work

    from ..tenancy.models import ModuleSetting

    with Session(engine) as session, session.begin():  # Tarwewijk shows an open board: readable by anyone
        tarwewijk = session.scalars(select(Tenant).where(Tenant.slug == "tarwewijk")).one_or_none()
        row = session.get(ModuleSetting, (tarwewijk.id, "board")) if tarwewijk else None
        if row is not None:
            row.settings = dict(row.settings or {}, visibility="public")
    directory = TenantDirectory(engine, ttl=0)
    settings = dict(MODULES["board"].default_settings(), posts_per_day=1000)
    for spec in LABS:
        tenant = directory.by_slug(spec.slug)
        if tenant is None or "board" not in tenant.modules:
            continue
        with tenant_unit_of_work(engine, tenant) as session:
            if session.scalar(select(Post.id).limit(1)) is not None:
                yield f"board {spec.slug}: already there"
                continue
            members = list(session.scalars(select(Member).order_by(Member.id)))
            now = datetime.now(timezone.utc)
            fixture = load_fixture()
            for i, item in enumerate(fixture):
                post = create_post(session, members[i % len(members)], settings, kind=item["kind"], title=item["title"],
                            body=item["body"], categories=item["categories"], organisation=item.get("organisation"),
                            area=item.get("area"), valid_until=date.today() + timedelta(days=60))
                # Placed over the past four weeks, as on a board in use (and not counted
                # against today's posting limit of the demo people).
                post.created_at = post.updated_at = post.published_at = now - timedelta(days=1 + i % 28, hours=i % 24)
            first = session.get(Post, session.scalar(select(func.min(Post.id))))
            responder = next((m for m in members if m.id != first.author_id), None)
            if responder is not None:
                react(session, first, responder, kind="help", message="Ik kan zaterdag langskomen met mijn heggenschaar.")
            yield f"board {spec.slug}: {len(fixture)} posts"
