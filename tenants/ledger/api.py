"""The wijkboekhouding over the API: /t/<slug>/api/v1/ledger/... (accounts with balances,
the journal page by page). Members' Bearer token; reading only."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from wijknet.platform.api_blueprint import Blueprint
from wijknet.platform.tenancy.routing import tenant_db

from .queries import accounts, journal

blp = Blueprint(
    "ledger_api", __name__, url_prefix="/t/<slug>/api/v1/ledger", description="The lab's neighbourhood ledger (reading)."
)


class AccountOut(Schema):
    code = fields.String()
    ref = fields.String(metadata={"description": "stable name: bank, fees, payable:member:12, ..."})
    name = fields.String()
    kind = fields.String(metadata={"description": "asset, liability, equity, income or expense"})
    balance_cents = fields.Integer(metadata={"description": "as people read it: income earned, debts owed, money held"})


class LineOut(Schema):
    account_code = fields.String()
    amount_cents = fields.Integer(metadata={"description": "debit positive, credit negative"})
    subject = fields.String(allow_none=True)


class EntryOut(Schema):
    id = fields.Integer()
    booked_at = fields.DateTime()
    description = fields.String()
    source = fields.String(allow_none=True)
    reverses_id = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(LineOut))


@blp.route("/accounts")
class Accounts(MethodView):
    @blp.response(200, AccountOut(many=True))
    def get(self):
        """Every account of the lab with its balance."""
        return [
            {
                "code": r.account.code,
                "ref": r.account.ref,
                "name": r.account.name,
                "kind": r.account.kind,
                "balance_cents": r.balance_cents,
            }
            for r in accounts(tenant_db())
        ]


@blp.route("/entries")
class Entries(MethodView):
    @blp.response(200, EntryOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The journal, newest first, each entry with its lines."""
        size = pagination_parameters.page_size
        rows, total = journal(tenant_db(), limit=size, offset=(pagination_parameters.page - 1) * size)
        pagination_parameters.item_count = total
        return [
            {
                "id": row.entry.id,
                "booked_at": row.entry.booked_at,
                "description": row.entry.description,
                "source": row.entry.source,
                "reverses_id": row.entry.reverses_id,
                "lines": [
                    {"account_code": a.code, "amount_cents": line.amount_cents, "subject": line.subject} for line, a in row.lines
                ],
            }
            for row in rows
        ]
