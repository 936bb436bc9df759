"""Who may see what of contracts, and the fetch-and-check helper: every member of the lab
reads its contracts (the wijkbedrijf's work is the members' business); administrators (the
board) make, propose, approve and move them; members vote."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.db import locked
from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.modules import module_settings

from .models import Contract
from .schemas import ContractError


def contracts_settings() -> dict:
    return module_settings("contracts")


def get_contract(session: Session, contract_id: int, *, for_update: bool = False) -> Contract:
    query = select(Contract).where(Contract.id == contract_id)
    contract = session.scalars(locked(query) if for_update else query).one_or_none()
    if contract is None:
        raise ContractError(_l("This contract does not exist."), status=404, code="contracts.not_found")
    return contract
