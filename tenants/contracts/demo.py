"""The contracts of the demo network: in a lab with the module on, the municipality's
green-maintenance contract of € 50,000 (proposed, two approvals needed, the members' vote
open) and a housing corporation's small maintenance contract, still a draft."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import select
from sqlalchemy.engine import Engine

from wijknet.platform.tenancy.uow import TenantRef, tenant_unit_of_work
from wijknet.tenants.core.models import Member, Organisation
from wijknet.tenants.core.time import tenant_today

from . import module
from . import operations as ops
from .models import Contract


def seed(engine: Engine, tenant: TenantRef) -> Iterator[str]:
    settings = dict(module.default_settings(), **(tenant.settings.get("contracts") or {}))
    with tenant_unit_of_work(engine, tenant) as session:
        if session.scalar(select(Contract.id).limit(1)) is not None:
            yield f"contracts {tenant.slug}: already there"
            return
        admins = list(session.scalars(select(Member).where(Member.role == "admin").order_by(Member.id)))
        if not admins:
            yield f"contracts {tenant.slug}: no administrator to make contracts"
            return
        year = tenant_today(tenant).year + 1
        municipality = _organisation(session, "Gemeente Rotterdam", "municipality")
        corporation = _organisation(session, "Woonstad Rotterdam", "housing_corporation")
        green = ops.create_contract(
            session,
            admins[0],
            {
                "title": f"Onderhoud openbaar groen Tarwewijk {year}",
                "purpose": "Het wijkbedrijf onderhoudt plantsoenen en boomspiegels in de wijk, met werk voor bewoners uit de bijstand.",
                "counterparty_id": municipality.id,
                "contract_type": "green_maintenance",
                "value_cents": 5_000_000,
                "starts_on": f"{year}-01-01",
                "ends_on": f"{year}-12-31",
                "budget_lines": [
                    {"name": "Loonkosten bewoners", "amount_cents": 3_500_000},
                    {"name": "Materiaal en gereedschap", "amount_cents": 1_000_000},
                    {"name": "Begeleiding", "amount_cents": 500_000},
                ],
                "milestones": [
                    {"title": "Voorjaarssnoei", "due_on": f"{year}-04-30", "weight_percent": 30, "payment_cents": 1_500_000},
                    {"title": "Zomeronderhoud", "due_on": f"{year}-08-31", "weight_percent": 40, "payment_cents": 2_000_000},
                    {"title": "Bladruimen", "due_on": f"{year}-12-15", "weight_percent": 30, "payment_cents": 1_500_000},
                ],
            },
            settings,
        )
        ops.propose(session, green, admins[0], settings, "Voor het bestuur en de leden")
        ops.create_contract(
            session,
            admins[0],
            {
                "title": "Klein onderhoud portiekwoningen",
                "purpose": "Bewoners doen klein onderhoud in de portieken van de corporatie.",
                "counterparty_id": corporation.id,
                "contract_type": "housing_maintenance",
                "value_cents": 800_000,
                "milestones": [
                    {"title": "Eerste twintig portieken", "weight_percent": 50},
                    {"title": "De rest", "weight_percent": 50},
                ],
            },
            settings,
        )
        yield f"contracts {tenant.slug}: 2 contracts"


def _organisation(session, name: str, kind: str) -> Organisation:
    found = session.scalars(select(Organisation).where(Organisation.name == name)).one_or_none()
    if found is None:
        found = Organisation(name=name, kind=kind)
        session.add(found)
        session.flush()
    return found
