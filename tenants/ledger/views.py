"""Pages of the wijkboekhouding: the lab's money for its members (an overview, the accounts
with their balances, the journal), the CSV export for administrators, and the public page a
lab may switch on (module setting), where private persons are never named.

Thin: reading is in queries.py; nothing here writes (bookings come from the modules)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template

from wijknet.platform.modules import module_settings
from wijknet.platform.paging import check_page, page_number
from wijknet.platform.tenancy.routing import current_tenant, tenant_db
from wijknet.tenants.core.access import PUBLIC, access, current_member, role
from wijknet.tenants.core.time import tenant_zone

from .queries import KIND_ORDER, accounts, export_lines, journal, public_summary

bp = Blueprint("ledger", __name__, url_prefix="/t/<slug>/ledger", template_folder="templates")
PER_PAGE = 50


def _page(template: str, **context):
    return render_template(template, tenant=current_tenant(), member=current_member(), zone=tenant_zone(), **context)


@bp.get("/")
def index():
    rows = accounts(tenant_db())
    grouped = [(kind, [row for row in rows if row.account.kind == kind]) for kind in KIND_ORDER]
    return _page(
        "ledger/index.html",
        grouped=[(kind, rows) for kind, rows in grouped if rows],
        public=module_settings("ledger")["public_page"],
    )


@bp.get("/journal")
def journal_page():
    page = page_number()
    rows, total = journal(tenant_db(), limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return _page("ledger/journal.html", rows=rows, total=total, page=page, pages=check_page(page, total, PER_PAGE))


@bp.get("/export.csv")
@access(role("admin"))
def export():
    """Every line of the journal, one row each: amounts in cents, times in UTC. Built in
    memory within the request's transaction (a lab's journal is thousands of lines)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "entry",
            "booked_at_utc",
            "description",
            "source",
            "reverses",
            "account_code",
            "account",
            "debit_cents",
            "credit_cents",
            "subject",
        ]
    )
    for entry_id, booked_at, description, source, reverses, code, name, amount, subject in export_lines(tenant_db()):
        writer.writerow(
            [
                entry_id,
                booked_at.isoformat(),
                description,
                source or "",
                reverses or "",
                code,
                name,
                max(amount, 0),
                max(-amount, 0),
                subject or "",
            ]
        )
    name = f"wijkboekhouding-{current_tenant().slug}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/public")
@access(PUBLIC)  # for anyone, when the lab switched it on; otherwise it does not exist
def public():
    if not module_settings("ledger")["public_page"]:
        abort(404)
    return _page("ledger/public.html", summary=public_summary(tenant_db()))
