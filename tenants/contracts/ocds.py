"""A contract as an Open Contracting Data Standard release (OCDS 1.1), for the municipality.

One release per contract: the lab is the buyer, the counterparty a party too (OCDS has no
role for "the one who pays a neighbourhood company", so it is the `payer`); the award and
the contract carry the value, period and milestones; budget lines go to planning. Statuses
map onto OCDS's closed code lists. Tests validate the output against the 1.1.5 schema."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.tenants.core.models import Organisation

from .models import BudgetLine, Contract, Document, Milestone, Transition

OCID_PREFIX = "ocds-wijknet"  # registered prefixes look like ocds-213czf; ours names the system
CONTRACT_STATUS = {  # OCDS contractStatus: pending, active, terminated, cancelled
    "draft": "pending",
    "proposed": "pending",
    "approved": "pending",
    "signed": "pending",
    "active": "active",
    "completed": "terminated",
    "terminated": "cancelled",
}
AWARD_STATUS = {"draft": "pending", "proposed": "pending", "terminated": "cancelled"}  # else active
MILESTONE_STATUS = {"planned": "scheduled", "in_progress": "scheduled", "done": "met"}


def _day(value: date | None) -> str | None:
    return datetime.combine(value, time(), timezone.utc).isoformat() if value else None


def _value(cents: int | None) -> dict | None:
    return None if cents is None else {"amount": cents / 100, "currency": "EUR"}


def release(session: Session, contract: Contract, tenant) -> dict:
    """The OCDS release of `contract` in `tenant` (its slug and name)."""
    ocid = f"{OCID_PREFIX}-{tenant.slug}-{contract.id}"
    updated = session.scalar(select(func.max(Transition.at)).where(Transition.contract_id == contract.id)) or contract.created_at
    lab = {"id": f"lab-{tenant.slug}", "name": tenant.name, "roles": ["buyer", "supplier"]}
    parties = [lab]
    payer = None
    if contract.counterparty_id is not None:
        organisation = session.get(Organisation, contract.counterparty_id)
        payer = {"id": f"org-{organisation.id}", "name": organisation.name, "roles": ["payer"]}
        parties.append(payer)
    milestones = session.scalars(select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.id)).all()
    lines = session.scalars(select(BudgetLine).where(BudgetLine.contract_id == contract.id).order_by(BudgetLine.id)).all()
    period = {
        key: value for key, value in (("startDate", _day(contract.starts_on)), ("endDate", _day(contract.ends_on))) if value
    }
    award_id = f"{ocid}-award"
    contract_part = {
        "id": f"{ocid}-contract",
        "awardID": award_id,
        "title": contract.title,
        "description": contract.purpose or None,
        "status": CONTRACT_STATUS[contract.status],
        "value": _value(contract.value_cents),
        "milestones": [
            {
                "id": f"milestone-{m.id}",
                "title": m.title,
                "type": "delivery",
                "dueDate": _day(m.due_on),
                "status": MILESTONE_STATUS[m.status],
                "dateMet": m.done_at.isoformat() if m.done_at else None,
                **({"value": _value(m.payment_cents)} if m.payment_cents is not None else {}),
            }
            for m in milestones
        ],
    }
    if period:
        contract_part["period"] = period
    if contract.signed_on:
        contract_part["dateSigned"] = _day(contract.signed_on)
    documents = session.scalars(select(Document).where(Document.contract_id == contract.id).order_by(Document.id)).all()
    if documents:
        contract_part["documents"] = [
            {
                "id": f"document-{d.id}",
                "title": d.title,
                "url": d.url,
                "datePublished": d.created_at.astimezone(timezone.utc).isoformat(),
            }
            for d in documents
        ]
    document = {
        "ocid": ocid,
        "id": f"{ocid}-{updated.astimezone(timezone.utc):%Y%m%dT%H%M%S}",
        "date": updated.astimezone(timezone.utc).isoformat(),
        "tag": ["contract"] if contract.status in ("signed", "active", "completed", "terminated") else ["planning"],
        "initiationType": "tender",
        "language": "nl",
        "parties": parties,
        "buyer": {"id": lab["id"], "name": lab["name"]},
        "planning": {
            "rationale": contract.purpose or None,
            "budget": {
                "description": "; ".join(f"{line.name}: € {line.amount_cents / 100:,.2f}" for line in lines) or None,
                "amount": _value(sum(line.amount_cents for line in lines) if lines else contract.value_cents),
            },
        },
        "awards": [
            {
                "id": award_id,
                "title": contract.title,
                "status": AWARD_STATUS.get(contract.status, "active"),
                "value": _value(contract.value_cents),
                "suppliers": [{"id": lab["id"], "name": lab["name"]}],
                **({"contractPeriod": period} if period else {}),
            }
        ],
        "contracts": [contract_part],
    }
    return _without_nulls(document)


def _without_nulls(value):
    """OCDS prefers fields left out to fields that are null."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
