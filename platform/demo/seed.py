"""The demo network: three living labs modelled on real kinds, with their people."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..tenancy.models import Tenant
from ..tenancy.operations import add_member, ensure_user
from ..tenancy.provisioning import TenantSpec, provision_tenant

LABS = [
    TenantSpec(
        slug="de-werkplaats",
        name="De Werkplaats",
        type="cooperative",
        region="Utrecht Zuilen",
        tagline="Twaalf zelfstandigen delen een oud schoolgebouw: werkplekken, gereedschap en opdrachten.",
        plan="buurt",
        modules=("board", "assets", "ledger"),
    ),
    TenantSpec(
        slug="startersco",
        name="Starterscoöperatie Op Eigen Kracht",
        type="social_cooperative",
        region="Amsterdam Nieuw-West",
        tagline="Mensen uit de bijstand bouwen samen een eigen bedrijf op, met coaching en gedeelde administratie.",
        plan="pilot",
        modules=("board", "contracts", "ledger"),
    ),
    TenantSpec(
        slug="tarwewijk",
        name="All Inclusive Wijk Tarwewijk",
        type="wijkbedrijf",
        region="Rotterdam-Zuid",
        tagline="Het wijkbedrijf onderhoudt groen en woningen voor gemeente en corporatie, met werk voor bewoners.",
        plan="netwerk",
        modules=("board", "assets", "contracts", "ledger"),
    ),
]

MODEL_LAB = "tarwewijk"

# Module settings of the demo labs (applied once the labs exist).
DEMO_SETTINGS = {
    "tarwewijk": {
        "board": {"visibility": "public"},
        "ledger": {"public_page": True},
        "contracts": {"vote_threshold_cents": 2_500_000},  # members vote above € 25,000
    }
}

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
    ("bas@tarwewijk.example", "Bas Vermeer", {"tarwewijk": "admin"}, False),
    ("samira@tarwewijk.example", "Samira Haddou", {"tarwewijk": "admin"}, False),
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
        for tenant in tenants.values():
            # The demo never runs out of its trial; Tarwewijk is the model for new labs (starter kit).
            tenant.billing_status, tenant.past_due_since = "none", None
            tenant.is_model = tenant.slug == MODEL_LAB
        for email, name, roles, staff in PEOPLE:
            user = ensure_user(session, email, name, staff=staff)
            for slug, role in roles.items():
                add_member(session, tenants[slug], user, role)
    yield f"people: {len(PEOPLE)} ({sum(len(p[2]) for p in PEOPLE)} memberships)"
    yield from seed_modules(engine)


def seed_modules(engine: Engine) -> Iterator[str]:
    """Each module's own demo data (its `demo_seed`) in every lab that has it switched on;
    the demo's module settings first (Tarwewijk shows an open board: readable by anyone)."""
    from ..modules import all_modules, load
    from ..tenancy.lookups import TenantDirectory
    from ..tenancy.models import ModuleSetting

    with Session(engine) as session, session.begin():
        for slug, settings in DEMO_SETTINGS.items():
            tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
            for name, values in settings.items():
                row = session.get(ModuleSetting, (tenant.id, name)) if tenant else None
                if row is not None:
                    row.settings = dict(row.settings or {}, **values)
    directory = TenantDirectory(engine, ttl=0)
    for spec in LABS:
        tenant = directory.by_slug(spec.slug)
        for module in all_modules().values():
            if tenant is not None and module.demo_seed and module.name in tenant.modules:
                yield from load(module.demo_seed)(engine, tenant)
