"""The staff actions on labs (platform/tenancy/operations.py), one rule at a time: which
status a lab may get and what the staff log keeps of it, custom domains, the network user
made or found by email, memberships (role, another lab's own accounts, the plan's limit)
and their end. The `wijknet tenants` and `users` commands and the staff console call these."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.billing import plans as plans_module
from wijknet.platform.billing.plans import DEFAULT_PLANS, Plan
from wijknet.platform.identity.models import Membership, User
from wijknet.platform.tenancy.models import Domain, StaffAuditEntry, Tenant
from wijknet.platform.tenancy.operations import (
    TenantActionError,
    add_domain,
    add_member,
    ensure_user,
    get_tenant,
    remove_member,
    set_tenant_status,
)

pytestmark = pytest.mark.tenancy


def _refusal(action) -> tuple[int, str, str]:
    with pytest.raises(TenantActionError) as refused:
        action()
    return refused.value.status, refused.value.code, refused.value.message


def _log(session, tenant_id) -> list[tuple[str, str, dict]]:
    rows = session.execute(
        select(StaffAuditEntry.actor, StaffAuditEntry.action, StaffAuditEntry.detail)
        .where(
            StaffAuditEntry.tenant_id == tenant_id,
            StaffAuditEntry.action.in_(("tenant.suspended", "tenant.resumed", "tenant.domain_added")),
        )
        .order_by(StaffAuditEntry.id)
    )
    return [tuple(row) for row in rows]


def test_an_unknown_lab_is_named_in_the_refusal(engine):
    with Session(engine) as session:
        assert _refusal(lambda: get_tenant(session, "nergens")) == (409, "tenant.not_found", "No living lab with slug 'nergens'.")


def test_a_lab_is_suspended_and_resumed_and_the_staff_log_says_who_and_why(engine, make_tenant):
    lab = make_tenant()
    with Session(engine) as session, session.begin():
        assert set_tenant_status(session, lab.slug, "suspended", actor="staff:anna", reason="betaling").status == "suspended"
        set_tenant_status(session, lab.slug, "suspended", actor="staff:anna")  # already: nothing logged
        assert set_tenant_status(session, lab.slug, "active", actor="staff:bob").status == "active"
        assert _log(session, lab.id) == [
            ("staff:anna", "tenant.suspended", {"from": "active", "reason": "betaling"}),
            ("staff:bob", "tenant.resumed", {"from": "suspended", "reason": ""}),
        ]
        assert _refusal(lambda: set_tenant_status(session, lab.slug, "deleted", actor="staff:anna"))[:2] == (
            409,
            "tenant.status_unknown",
        )
        session.get(Tenant, lab.id).status = "provisioning"
        status, code, message = _refusal(lambda: set_tenant_status(session, lab.slug, "active", actor="staff:anna"))
        assert (status, code) == (409, "tenant.provisioning") and "wijknet tenants create" in message
        session.rollback()


def test_a_custom_domain_is_cleaned_unique_and_logged(engine, make_tenant):
    lab, other = make_tenant(), make_tenant()
    with Session(engine) as session, session.begin():
        domain = add_domain(session, lab.slug, " Buurt.Example.NL. ", actor="staff:anna")
        assert (domain.host, domain.tenant_id) == ("buurt.example.nl", lab.id)
        assert _log(session, lab.id) == [("staff:anna", "tenant.domain_added", {"host": "buurt.example.nl"})]
        for taken in ("buurt.example.nl", "BUURT.example.nl"):
            assert _refusal(lambda taken=taken: add_domain(session, other.slug, taken, actor="staff:anna"))[:2] == (
                409,
                "tenant.host_taken",
            )
        for bad in ("", "buurt.example.nl:8443", "not a host", "x" * 300):
            assert _refusal(lambda bad=bad: add_domain(session, lab.slug, bad, actor="staff:anna"))[:2] == (
                409,
                "tenant.host_invalid",
            )
        assert _refusal(lambda: add_domain(session, "nergens", "nieuw.example.nl", actor="staff:anna"))[1] == "tenant.not_found"
        assert session.scalar(select(func.count()).select_from(Domain).where(Domain.tenant_id.in_((lab.id, other.id)))) == 1


def test_a_network_user_is_found_by_email_or_made(engine):
    with Session(engine) as session, session.begin():
        made = ensure_user(session, "  Fatima.El-Amrani@Example.ORG ")
        # the domain lower-cased, the mailbox kept as typed; found again in any case
        assert (made.email, made.name, made.is_staff) == ("Fatima.El-Amrani@example.org", "Fatima.El-Amrani", False)
        again = ensure_user(session, "fatima.el-amrani@example.org", "Someone Else")
        assert again.id == made.id and again.name == "Fatima.El-Amrani" and again.is_staff is False
        assert ensure_user(session, "fatima.el-amrani@example.org", staff=True).is_staff is True
        assert ensure_user(session, "fatima.el-amrani@example.org", staff=False).is_staff is True  # never lowered here
        long_name = ensure_user(session, "lang@example.org", "  " + "n" * 200 + "  ")
        assert long_name.name == "n" * 120
        assert ensure_user(session, "nieuw@example.org", "Nieuwe Staf", staff=True).is_staff is True
        for bad in ("", "geen adres", "@example.org"):
            assert _refusal(lambda bad=bad: ensure_user(session, bad))[:2] == (409, "tenant.email_invalid")
        session.rollback()


def test_a_membership_takes_one_of_the_roles_and_changes_in_place(engine, make_tenant):
    lab = make_tenant()
    with Session(engine) as session, session.begin():
        tenant, user = session.get(Tenant, lab.id), ensure_user(session, "lid@example.org")
        first = add_member(session, tenant, user, "member")
        changed = add_member(session, tenant, user, "moderator", organisation="Buurthuis De Kas")
        assert changed.id == first.id and (changed.role, changed.organisation) == ("moderator", "Buurthuis De Kas")
        assert _refusal(lambda: add_member(session, tenant, user, "owner"))[:2] == (409, "tenant.role_invalid")
        assert session.scalar(select(Membership.role).where(Membership.user_id == user.id)) == "moderator"
        assert remove_member(session, tenant, user) is True
        assert remove_member(session, tenant, user) is False
        session.rollback()


def test_an_account_of_a_labs_own_sign_in_is_a_member_there_only(engine, make_tenant):
    lab, other = make_tenant(), make_tenant()
    with Session(engine) as session, session.begin():
        own = User(email="bewoner@lab.example", name="Bewoner", tenant_id=lab.id)
        session.add(own)
        session.flush()
        assert add_member(session, session.get(Tenant, lab.id), own, "member").tenant_id == lab.id
        assert _refusal(lambda: add_member(session, session.get(Tenant, other.id), own, "member"))[:2] == (
            409,
            "tenant.other_lab_account",
        )
        session.rollback()


def test_the_plans_member_limit_refuses_a_newcomer_not_a_role_change(engine, make_tenant, monkeypatch):
    tiny = Plan("buurt", "Buurt", 2500, 30, None, 2)
    monkeypatch.setattr(plans_module, "DEFAULT_PLANS", (DEFAULT_PLANS[0], tiny, DEFAULT_PLANS[2]))
    lab, unlimited = make_tenant(plan="buurt"), make_tenant(plan="netwerk")
    with Session(engine) as session, session.begin():
        tenant = session.get(Tenant, lab.id)
        first, second, third = (ensure_user(session, f"{name}@example.org") for name in ("een", "twee", "drie"))
        add_member(session, tenant, first, "member")
        add_member(session, tenant, second, "member")
        status, code, message = _refusal(lambda: add_member(session, tenant, third, "member"))
        assert (status, code) == (409, "plan.member_limit") and "2 members" in message
        assert add_member(session, tenant, second, "admin").role == "admin"  # the place is theirs already
        for user in (first, second, third):
            add_member(session, session.get(Tenant, unlimited.id), user, "member")
        session.rollback()
