"""Wijkbedrijf contracts (in every tenant schema): the contract with its counterparty, budget
lines and milestones, every status change, the approvals and the members' vote.

Field names follow the Open Contracting Data Standard where it has one (title, value,
period, status, dateSigned, milestones), so a contract is published as an OCDS release
(ocds.py). Rules the database keeps itself: a value is never negative, a period never ends
before it starts, one approval and one vote per member, milestone weights are 1..100 %."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from wijknet.platform.db import TenantBase

CONTRACT_TYPES = ("green_maintenance", "housing_maintenance", "care_wellbeing", "collective_discount", "other")
STATUSES = ("draft", "proposed", "approved", "signed", "active", "completed", "terminated")
# Each status and where it may go next; anything else is refused (409).
TRANSITIONS = {
    "draft": ("proposed", "terminated"),
    "proposed": ("approved", "draft", "terminated"),  # approved only when the policy is met
    "approved": ("signed", "terminated"),
    "signed": ("active", "terminated"),
    "active": ("completed", "terminated"),
    "completed": (),
    "terminated": (),
}
VOTE_CHOICES = ("for", "against", "abstain")
MILESTONE_STATUSES = ("planned", "in_progress", "done")


class Contract(TenantBase):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("value_cents >= 0", name="value_not_negative"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="period_in_order"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        CheckConstraint(f"contract_type IN {CONTRACT_TYPES!r}", name="type_known"),
        CheckConstraint("approvers_required BETWEEN 1 AND 20", name="approvers_sane"),
        CheckConstraint("quorum_percent BETWEEN 0 AND 100", name="quorum_sane"),
        CheckConstraint(
            "(sroi_percent IS NULL OR sroi_percent BETWEEN 0 AND 100) AND (sroi_hours IS NULL OR sroi_hours >= 0)"
            " AND (sroi_participants IS NULL OR sroi_participants >= 0)",
            name="sroi_sane",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text, server_default="")
    counterparty_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    contract_type: Mapped[str] = mapped_column(Text, server_default="other")
    value_cents: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    # The governance policy, copied from the lab's settings when the contract is made.
    approvers_required: Mapped[int] = mapped_column(Integer)
    vote_threshold_cents: Mapped[int] = mapped_column(BigInteger)
    quorum_percent: Mapped[int] = mapped_column(Integer)
    vote_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    vote_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    vote_closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    vote_passed: Mapped[bool | None] = mapped_column()
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    signed_on: Mapped[date | None] = mapped_column(Date)
    # Social return (SROI): a share of the value spent on local work, and/or hours and participants.
    sroi_percent: Mapped[int | None] = mapped_column(Integer)
    sroi_hours: Mapped[int | None] = mapped_column(Integer)
    sroi_participants: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())

    def needs_vote(self) -> bool:
        return self.value_cents > self.vote_threshold_cents


class BudgetLine(TenantBase):
    __tablename__ = "contract_budget_lines"
    __table_args__ = (CheckConstraint("amount_cents >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class Milestone(TenantBase):
    __tablename__ = "contract_milestones"
    __table_args__ = (
        CheckConstraint("weight_percent BETWEEN 1 AND 100", name="weight_sane"),
        CheckConstraint(f"status IN {MILESTONE_STATUSES!r}", name="status_known"),
        CheckConstraint("payment_cents IS NULL OR payment_cents >= 0", name="payment_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    weight_percent: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default="planned")
    payment_cents: Mapped[int | None] = mapped_column(BigInteger)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Transition(TenantBase):
    """Every status change: who, when, why."""

    __tablename__ = "contract_transitions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Approval(TenantBase):
    __tablename__ = "contract_approvals"
    __table_args__ = (UniqueConstraint("contract_id", "member_id", name="uq_contract_approvals_once_per_member"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Vote(TenantBase):
    """A member's vote on a contract above the threshold: one each, changeable until it closes."""

    __tablename__ = "contract_votes"
    __table_args__ = (
        UniqueConstraint("contract_id", "member_id", name="uq_contract_votes_once_per_member"),
        CheckConstraint(f"choice IN {VOTE_CHOICES!r}", name="choice_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    choice: Mapped[str] = mapped_column(Text)
    cast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProgressReport(TenantBase):
    """What was done: text, a photo, and the social return realised (hours of local work,
    participants), for a milestone or a month."""

    __tablename__ = "contract_progress_reports"
    __table_args__ = (CheckConstraint("hours >= 0 AND participants >= 0 AND local_cents >= 0", name="counts_not_negative"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("contract_milestones.id", ondelete="SET NULL"))
    month: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    photo_key: Mapped[str | None] = mapped_column(Text)
    hours: Mapped[int] = mapped_column(Integer, server_default="0")
    participants: Mapped[int] = mapped_column(Integer, server_default="0")
    local_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")  # spent on local work: the SROI percentage
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OrganisationContact(TenantBase):
    """A contact person of an organisation in the directory; may be a member of the lab."""

    __tablename__ = "organisation_contacts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, server_default="")
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)


class Document(TenantBase):
    """A document of a contract (the signed contract, a plan, a report), by its address."""

    __tablename__ = "contract_documents"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
