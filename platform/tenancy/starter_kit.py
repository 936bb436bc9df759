"""Starter kits: a new living lab begins as a copy of a model lab's set-up (SPEC §2.4).

Staff mark a lab as a model (`is_model`). Its kit is its module set, every module's settings
(the board's categories among them) and each module's starter data, copied by the module's
own `starter_kit` hook (the ledger's accounts, for instance) while the new lab is still
being provisioned. Members, posts and other content are never copied."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..modules import all_modules, load
from ..refusals import DomainError
from .lookups import tenant_ref
from .models import ModuleSetting, Tenant
from .uow import tenant_unit_of_work


class StarterKitError(DomainError):
    code = "starter_kit"


@dataclass(frozen=True)
class StarterKit:
    model_id: int
    model_slug: str
    modules: tuple[str, ...]  # switched on in the model
    settings: dict  # module -> its settings in the model


def model_labs(session: Session) -> list[Tenant]:
    return session.scalars(select(Tenant).where(Tenant.is_model, Tenant.status == "active").order_by(Tenant.name)).all()


def load_starter_kit(session: Session, slug: str) -> StarterKit:
    model = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if model is None or not model.is_model or model.status != "active":
        raise StarterKitError.on_field(
            "starter_kit", _l("Choose one of the model living labs, or none."), code="starter_kit.unknown"
        )
    rows = session.scalars(select(ModuleSetting).where(ModuleSetting.tenant_id == model.id)).all()
    known = all_modules()
    return StarterKit(
        model_id=model.id,
        model_slug=model.slug,
        modules=tuple(sorted(r.module for r in rows if r.enabled and r.module in known)),
        settings={r.module: known[r.module].settings_from(r.settings) for r in rows if r.module in known},
    )


def apply_starter_kit(engine: Engine, kit: StarterKit, tenant_id: int) -> dict[str, int]:
    """Copy the kit into the lab `tenant_id` (still provisioning). Repeatable: settings are
    overwritten, and each hook replaces what an interrupted earlier run left."""
    with Session(engine) as session, session.begin():
        for row in session.scalars(select(ModuleSetting).where(ModuleSetting.tenant_id == tenant_id)):
            if row.module in kit.settings:
                row.settings = kit.settings[row.module]
        model, new = session.get(Tenant, kit.model_id), session.get(Tenant, tenant_id)
        model_ref, new_ref = tenant_ref(model, kit.modules), tenant_ref(new, ())
    copied = {}
    hooks = {name: m.starter_kit for name, m in all_modules().items() if m.starter_kit and name in kit.settings}
    for name, hook in hooks.items():
        with tenant_unit_of_work(engine, model_ref, system=True) as source:
            with tenant_unit_of_work(engine, new_ref, system=True, statuses=("provisioning",)) as target:
                copied[name] = load(hook)(source, target)
    return copied
