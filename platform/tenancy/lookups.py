"""Platform lookups done before a tenant's unit of work, as the application role, cached briefly.

A status change made in this process is seen at once (`forget`); other processes see it
within `tenant_cache_seconds`.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..db import release_request_reads
from .models import Domain, ModuleSetting, Tenant
from .names import RESERVED_SLUGS, is_plausible_slug, normalise_host
from .uow import TenantRef

_MISSING = object()


def tenant_ref(tenant: Tenant, modules: tuple[str, ...], settings: dict | None = None, grace_days: int = 14) -> TenantRef:
    return TenantRef(
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        type=tenant.type,
        region=tenant.region,
        tagline=tenant.tagline,
        plan=tenant.plan,
        status=tenant.status,
        schema_name=tenant.schema_name,
        role_name=tenant.role_name,
        modules=modules,
        settings=settings or {},
        overdue_since=tenant.overdue_since,
        grace_days=grace_days,
        brand_colour=tenant.brand_colour,
        logo_key=tenant.logo_key,
        welcome_text=tenant.welcome_text or "",
    )


class TenantDirectory:
    def __init__(self, engine: Engine, ttl: float = 5.0, maxsize: int = 20_000, grace_days: int = 14):
        self.engine = engine
        self.grace_days = grace_days
        self._by_slug: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl)
        self._by_host: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def by_slug(self, slug: str) -> TenantRef | None:
        """The servable tenant for `slug`; None when unknown or still being provisioned."""
        if not is_plausible_slug(slug) or slug in RESERVED_SLUGS:
            return None  # hostile or malformed input never reaches SQL
        with self._lock:
            cached = self._by_slug.get(slug, _MISSING)
        if cached is not _MISSING:
            return cached
        ref = self._load(slug)
        with self._lock:
            self._by_slug[slug] = ref
        return ref

    def slug_for_host(self, host: str) -> str | None:
        """The tenant slug a custom domain serves, or None."""
        host = normalise_host(host)
        if host is None:
            return None
        with self._lock:
            cached = self._by_host.get(host, _MISSING)
        if cached is not _MISSING:
            return cached
        release_request_reads()
        with Session(self.engine) as session:
            slug = session.scalar(
                select(Tenant.slug).join(Domain, Domain.tenant_id == Tenant.id).where(Domain.host == host.split(":")[0])
            )
        with self._lock:
            self._by_host[host] = slug
        return slug

    def forget(self, slug: str | None = None) -> None:
        with self._lock:
            if slug is None:
                self._by_slug.clear()
                self._by_host.clear()
            else:
                self._by_slug.pop(slug, None)

    def _load(self, slug: str) -> TenantRef | None:
        release_request_reads()  # one connection at a time (platform/db.py)
        with Session(self.engine) as session:
            tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
            if tenant is None or tenant.status not in ("active", "suspended"):
                return None  # being provisioned or deleted: not servable
            rows = session.execute(
                select(ModuleSetting.module, ModuleSetting.enabled, ModuleSetting.settings).where(
                    ModuleSetting.tenant_id == tenant.id
                )
            ).all()
            modules = tuple(sorted(name for name, enabled, _settings in rows if enabled))
            return tenant_ref(
                tenant, modules, {name: dict(settings or {}) for name, _enabled, settings in rows}, grace_days=self.grace_days
            )


def tenants_with_module(session: Session, module: str) -> list[int]:
    """Ids of the active tenants with `module` switched on: periodic jobs of a module visit
    these only, so a module that is off is left alone."""
    return list(
        session.scalars(
            select(Tenant.id)
            .join(ModuleSetting, ModuleSetting.tenant_id == Tenant.id)
            .where(Tenant.status == "active", ModuleSetting.module == module, ModuleSetting.enabled)
            .order_by(Tenant.id)
        )
    )
