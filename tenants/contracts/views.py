"""Pages of wijkbedrijf contracts (phone first): the list, a contract with its money,
milestones, approvals, the members' vote and its history; the administrators' form and
steps. Thin: every change is an action of operations.py."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from wijknet.platform.i18n import parse_euros
from wijknet.platform.paging import check_page, page_number
from wijknet.platform.refusals import DomainError
from wijknet.platform.tenancy.routing import current_tenant, tenant_db
from wijknet.tenants.core.access import access, current_member, has_rank, role
from wijknet.tenants.core.idempotency import once_per_key
from wijknet.tenants.core.models import Member, Organisation
from wijknet.tenants.core.time import tenant_zone

from . import operations as ops
from .access import contracts_settings, get_contract
from .models import (
    CONTRACT_TYPES,
    Approval,
    BudgetLine,
    Contract,
    Document,
    Milestone,
    OrganisationContact,
    ProgressReport,
    Transition,
    Vote,
)

bp = Blueprint("contracts", __name__, url_prefix="/t/<slug>/contracts", template_folder="templates")
ADMINS = role("admin")
PER_PAGE = 20
FORM_LINES, FORM_MILESTONES = 6, 8


def _page(template: str, status: int = 200, **context):
    return render_template(template, tenant=current_tenant(), member=current_member(), zone=tenant_zone(), **context), status


@bp.get("/")
def index():
    session, page = tenant_db(), page_number()
    total = session.scalar(select(func.count()).select_from(Contract))
    rows = session.execute(
        select(Contract, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Contract.counterparty_id)
        .order_by(Contract.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    progress = ops.progress_of(session, [c.id for c, _name in rows])  # one query, not one per contract
    return _page(
        "contracts/index.html",
        rows=[(c, name, progress.get(c.id, 0)) for c, name in rows],
        total=total,
        page=page,
        pages=check_page(page, total, PER_PAGE),
        admin=has_rank(current_member(), "admin"),
    )


def _contract_page(contract: Contract, *, error=None, status=200, expense=None, overspend=False):
    session, member = tenant_db(), current_member()
    history = session.execute(
        select(Transition, Member.display_name)
        .outerjoin(Member, Member.id == Transition.actor_member_id)
        .where(Transition.contract_id == contract.id)
        .order_by(Transition.id)
    ).all()
    return _page(
        "contracts/contract.html",
        status,
        contract=contract,
        counterparty=session.get(Organisation, contract.counterparty_id) if contract.counterparty_id else None,
        lines=session.scalars(select(BudgetLine).where(BudgetLine.contract_id == contract.id).order_by(BudgetLine.id)).all(),
        milestones=session.scalars(select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.id)).all(),
        progress=ops.progress_percent(session, contract),
        approvers=_approver_names(session, contract),
        history=history,
        my_vote=session.scalar(select(Vote.choice).where(Vote.contract_id == contract.id, Vote.member_id == member.id)),
        results=ops.results(session, contract),
        admin=has_rank(member, "admin"),
        error=error,
        spent=ops.spent_per_line(session, contract),
        sroi=ops.social_return(session, contract),
        paid=ops.paid_per_milestone(session, contract),
        documents=session.scalars(select(Document).where(Document.contract_id == contract.id).order_by(Document.id)).all(),
        reports=session.execute(
            select(ProgressReport, Milestone.title)
            .outerjoin(Milestone, Milestone.id == ProgressReport.milestone_id)
            .where(ProgressReport.contract_id == contract.id)
            .order_by(ProgressReport.id.desc())
            .limit(50)
        ).all(),
        expense=expense or {},
        overspend=overspend,
    )


def _approver_names(session, contract: Contract) -> list[str]:
    return session.scalars(
        select(Member.display_name)
        .join(Approval, Approval.member_id == Member.id)
        .where(Approval.contract_id == contract.id)
        .order_by(Approval.id)
    ).all()


def _missing():
    return _page("contracts/missing.html", 404)


@bp.get("/<int:contract_id>")
def show(contract_id: int):
    try:
        return _contract_page(get_contract(tenant_db(), contract_id))
    except DomainError:
        return _missing()


def _action(contract_id: int, act):
    session = tenant_db()
    try:
        contract = get_contract(session, contract_id, for_update=True)
    except DomainError:
        return _missing()
    try:
        act(session, contract, current_member())
    except DomainError as exc:
        if exc.status == 404:
            return _missing()
        return _contract_page(contract, error=exc.message, status=exc.status)
    return redirect(url_for("contracts.show", contract_id=contract_id), code=303)


@bp.post("/<int:contract_id>/step")
@access(ADMINS)
def step(contract_id: int):
    to, reason = request.form.get("to", ""), request.form.get("reason", "")

    def act(session, contract, member):
        if to == "proposed":
            ops.propose(session, contract, member, contracts_settings(), reason)
        elif to == "draft":
            ops.withdraw(session, contract, member, reason)
        else:
            ops.move(session, contract, member, to, reason)

    return _action(contract_id, act)


@bp.post("/<int:contract_id>/approve")
@access(ADMINS)
def approve(contract_id: int):
    return _action(contract_id, lambda session, contract, member: ops.approve(session, contract, member))


@bp.post("/<int:contract_id>/vote")
def vote(contract_id: int):
    choice = request.form.get("choice", "")
    return _action(contract_id, lambda session, contract, member: ops.cast_vote(session, contract, member, choice))


@bp.post("/<int:contract_id>/expense")
@access(ADMINS)
def expense(contract_id: int):
    """Book money spent on a budget line; beyond its budget only after a confirmation."""
    session, form = tenant_db(), request.form
    try:
        contract = get_contract(session, contract_id, for_update=True)
    except DomainError:
        return _missing()
    typed = {key: form.get(key, "") for key in ("budget_line_id", "amount", "description")}
    cents = parse_euros(typed["amount"]) if typed["amount"].strip() else None
    if cents is None:
        return _contract_page(contract, error=gettext("An amount like 12,50."), status=400, expense=typed)
    data = {"budget_line_id": typed["budget_line_id"], "amount_cents": cents, "description": typed["description"]}
    try:
        ops.book_expense(session, contract, current_member(), data, confirm_overspend=form.get("confirm") == "on")
    except DomainError as exc:
        return _contract_page(
            contract, error=exc.message, status=exc.status, expense=typed, overspend=exc.code == "contracts.overspend"
        )
    return redirect(url_for("contracts.show", contract_id=contract_id) + "#money", code=303)


@bp.post("/<int:contract_id>/progress")
@access(ADMINS)
def progress(contract_id: int):
    """A progress report with an optional photo (a phone's photo is larger than other forms)."""
    session = tenant_db()
    try:
        contract = get_contract(session, contract_id, for_update=True)
    except DomainError:
        return _missing()
    limit = ops.PHOTO_BYTES + 64 * 1024
    if (request.content_length or 0) > limit:
        message = gettext("The image is too large: at most %(kb)d kB.", kb=ops.PHOTO_BYTES // 1024)
        return _contract_page(contract, error=message, status=413)
    request.max_content_length = limit
    form = request.form
    local = form.get("local", "").strip()
    local_cents = parse_euros(local) if local else 0
    if local_cents is None:
        return _contract_page(contract, error=gettext("An amount like 12,50."), status=400)
    data = {key: form.get(key, "") for key in ("text", "milestone_id", "milestone_status", "month", "hours", "participants")}
    if data["month"] and len(data["month"]) == 7:  # <input type="month">: 2027-03
        data["month"] += "-01"
    upload = request.files.get("photo")
    photo = upload.read() if upload and upload.filename else None
    try:
        ops.report_progress(session, contract, current_member(), {**data, "local_cents": local_cents}, photo)
    except DomainError as exc:
        return _contract_page(contract, error=exc.message, status=exc.status)
    return redirect(url_for("contracts.show", contract_id=contract_id) + "#progress", code=303)


@bp.post("/<int:contract_id>/documents")
@access(ADMINS)
def add_document(contract_id: int):
    form = {key: request.form.get(key, "") for key in ("title", "url")}
    return _action(contract_id, lambda session, contract, member: ops.add_document(session, contract, member, form))


@bp.post("/<int:contract_id>/close-vote")
@access(ADMINS)
def close_vote(contract_id: int):
    return _action(contract_id, lambda session, contract, member: ops.close_vote(session, contract, actor=member))


# --- the administrators' form -----------------------------------------------------------------
def _form_data() -> tuple[dict, dict]:
    """The form as the operation takes it: euros typed by people become cents, rows become lists."""
    form, errors = request.form, {}

    def cents(raw: str, field: str):
        raw = (raw or "").strip()
        if not raw:
            return None
        value = parse_euros(raw)
        if value is None:
            errors[field] = [gettext("An amount like 12,50.")]
        return value

    data = {
        key: form.get(key, "")
        for key in (
            "title",
            "purpose",
            "contract_type",
            "starts_on",
            "ends_on",
            "counterparty_id",
            "sroi_percent",
            "sroi_hours",
            "sroi_participants",
        )
    }
    data["value_cents"] = cents(form.get("value", ""), "value_cents")
    if data["value_cents"] is None and "value_cents" not in errors:
        errors["value_cents"] = [gettext("What is the contract worth?")]
    data["budget_lines"] = [
        {"name": name.strip(), "amount_cents": cents(amount, "budget_lines")}
        for name, amount in zip(form.getlist("line_name"), form.getlist("line_amount"), strict=False)
        if name.strip() or amount.strip()
    ]
    data["milestones"] = [
        {
            "title": title.strip(),
            "due_on": due or None,
            "weight_percent": weight.strip(),
            "payment_cents": cents(payment, "milestones"),
        }
        for title, due, weight, payment in zip(
            form.getlist("milestone_title"),
            form.getlist("milestone_due"),
            form.getlist("milestone_weight"),
            form.getlist("milestone_payment"),
            strict=False,
        )
        if title.strip() or weight.strip()
    ]
    return data, errors


def _from_match(raw: str) -> MultiDict | None:
    """A draft's title and purpose from a confirmed match on the board (when the lab has it):
    the need, and who offered to help."""
    if not raw.isdigit() or "board" not in current_tenant().modules:
        return None
    from wijknet.tenants.board.models import Match, Post, Reaction  # the board is on in this lab

    session = tenant_db()
    found = session.execute(
        select(Match, Post, Member.display_name)
        .join(Post, Post.id == Match.post_id)
        .join(Reaction, Reaction.id == Match.reaction_id)
        .join(Member, Member.id == Reaction.responder_id)
        .where(Match.id == int(raw), Match.confirmed_at.is_not(None))
    ).first()
    if found is None:
        return None
    _match, post, helper = found
    purpose = gettext("From the board: %(title)s. %(body)s Matched with %(name)s.", title=post.title, body=post.body, name=helper)
    blank = dict.fromkeys(
        ("contract_type", "counterparty_id", "value", "starts_on", "ends_on", "sroi_percent", "sroi_hours", "sroi_participants"),
        "",
    )
    return MultiDict({**blank, "contract_type": "other", "title": post.title[:200], "purpose": purpose[:5000]})


def _form_page(contract, status=200, error=None, errors=None, prefill=None):
    session = tenant_db()
    form = request.form if request.method == "POST" else prefill
    return _page(
        "contracts/form.html",
        status,
        contract=contract,
        form=form,
        lines=_rows(form, contract, "lines"),
        milestones=_rows(form, contract, "milestones"),
        organisations=session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        types=CONTRACT_TYPES,
        error=error,
        errors=errors or {},
    )


def _rows(form, contract, what: str) -> list[dict]:
    session = tenant_db()
    if form is not None:
        if what == "lines":
            rows = [
                {"name": n, "amount": a} for n, a in zip(form.getlist("line_name"), form.getlist("line_amount"), strict=False)
            ]
        else:
            rows = [
                {"title": t, "due": d, "weight": w, "payment": p}
                for t, d, w, p in zip(
                    form.getlist("milestone_title"),
                    form.getlist("milestone_due"),
                    form.getlist("milestone_weight"),
                    form.getlist("milestone_payment"),
                    strict=False,
                )
            ]
    elif contract is not None and what == "lines":
        rows = [
            {"name": line.name, "amount": f"{line.amount_cents / 100:.2f}".replace(".", ",")}
            for line in session.scalars(select(BudgetLine).where(BudgetLine.contract_id == contract.id).order_by(BudgetLine.id))
        ]
    elif contract is not None:
        rows = [
            {
                "title": m.title,
                "due": m.due_on.isoformat() if m.due_on else "",
                "weight": m.weight_percent,
                "payment": f"{m.payment_cents / 100:.2f}".replace(".", ",") if m.payment_cents is not None else "",
            }
            for m in session.scalars(select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.id))
        ]
    else:
        rows = []
    size = FORM_LINES if what == "lines" else FORM_MILESTONES
    blank = {"name": "", "amount": ""} if what == "lines" else {"title": "", "due": "", "weight": "", "payment": ""}
    return (rows + [blank] * size)[: max(size, len(rows))]


@bp.route("/new", methods=["GET", "POST"])
@access(ADMINS)
@once_per_key("contracts.contract.create")
def new():
    if request.method == "GET":
        return _form_page(None, prefill=_from_match(request.args.get("match", "")))
    data, errors = _form_data()
    if errors:
        return _form_page(None, 400, gettext("Please correct the marked fields."), errors)
    try:
        contract = ops.create_contract(tenant_db(), current_member(), data, contracts_settings())
    except DomainError as exc:
        return _form_page(None, exc.status, exc.message, exc.errors)
    return redirect(url_for("contracts.show", contract_id=contract.id), code=303)


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@access(ADMINS)
def edit(contract_id: int):
    session = tenant_db()
    try:
        contract = get_contract(session, contract_id, for_update=request.method == "POST")
    except DomainError:
        return _missing()
    if request.method == "GET":
        return _form_page(contract)
    data, errors = _form_data()
    if errors:
        return _form_page(contract, 400, gettext("Please correct the marked fields."), errors)
    try:
        ops.update_contract(session, contract, current_member(), data, contracts_settings())
    except DomainError as exc:
        return _form_page(contract, exc.status, exc.message, exc.errors)
    return redirect(url_for("contracts.show", contract_id=contract.id), code=303)


# --- the organisations directory ----------------------------------------------------------------
def _directory(session) -> list:
    """[(organisation, number of contact persons)] by name."""
    return session.execute(
        select(Organisation, func.count(OrganisationContact.id))
        .outerjoin(OrganisationContact, OrganisationContact.organisation_id == Organisation.id)
        .group_by(Organisation.id)
        .order_by(func.lower(Organisation.name))
    ).all()


@bp.get("/organisations")
def organisations():
    session = tenant_db()
    rows = _directory(session)
    return _page(
        "contracts/organisations.html", rows=rows, admin=has_rank(current_member(), "admin"), form={}, errors={}, error=None
    )


@bp.post("/organisations")
@access(ADMINS)
def new_organisation():
    session = tenant_db()
    form = {key: request.form.get(key, "") for key in ("name", "kind", "email", "phone", "website")}
    try:
        organisation = ops.create_organisation(session, current_member(), form)
    except DomainError as exc:
        rows = _directory(session)
        return _page(
            "contracts/organisations.html", exc.status, rows=rows, admin=True, form=form, errors=exc.errors, error=exc.message
        )
    return redirect(url_for("contracts.organisation", organisation_id=organisation.id), code=303)


def _organisation_page(organisation, status=200, form=None, error=None, errors=None):
    session = tenant_db()
    contacts = session.execute(
        select(OrganisationContact, Member.display_name)
        .outerjoin(Member, Member.id == OrganisationContact.member_id)
        .where(OrganisationContact.organisation_id == organisation.id)
        .order_by(OrganisationContact.id)
    ).all()
    return _page(
        "contracts/organisation.html",
        status,
        organisation=organisation,
        contacts=contacts,
        contracts=session.scalars(
            select(Contract).where(Contract.counterparty_id == organisation.id).order_by(Contract.id.desc())
        ).all(),
        people=session.scalars(select(Member).where(Member.left_at.is_(None)).order_by(Member.display_name)).all(),
        admin=has_rank(current_member(), "admin"),
        form=form or {},
        error=error,
        errors=errors or {},
    )


@bp.get("/organisations/<int:organisation_id>")
def organisation(organisation_id: int):
    found = tenant_db().get(Organisation, organisation_id)
    return _organisation_page(found) if found else _missing()


@bp.post("/organisations/<int:organisation_id>/contacts")
@access(ADMINS)
def add_contact(organisation_id: int):
    session = tenant_db()
    found = session.get(Organisation, organisation_id)
    if found is None:
        return _missing()
    form = {key: request.form.get(key, "") for key in ("name", "role", "email", "phone", "member_id")}
    try:
        ops.add_contact(session, found, current_member(), form)
    except DomainError as exc:
        return _organisation_page(found, exc.status, form, exc.message, exc.errors)
    return redirect(url_for("contracts.organisation", organisation_id=organisation_id), code=303)
