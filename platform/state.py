"""What a process holds for its life: settings, the engine, the tenant directory and the
role prefix. The web app keeps it in app.extensions["wijknet"]; a `wijknet` command builds
it without the web app (platform/cli/common.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from .config import Settings
from .tenancy.lookups import TenantDirectory


@dataclass
class PlatformState:
    settings: Settings
    engine: Engine
    directory: TenantDirectory
    role_prefix: str


def build_state(settings: Settings, engine: Engine | None = None, *, timeouts: bool = True) -> PlatformState:
    """`timeouts`: the web app's statement and lock timeouts on every connection (a command
    may rightly run longer: a migration, an export)."""
    from .db import database_name, make_engine
    from .devdb import resolve_database_url
    from .tenancy.names import role_prefix

    if engine is None:
        engine = make_engine(
            resolve_database_url(settings.database_url),
            prepared_statements=settings.prepared_statements,
            timeouts_ms=(settings.statement_timeout_ms, settings.lock_timeout_ms) if timeouts else None,
        )
    prefix = role_prefix(database_name(engine.url.render_as_string(hide_password=False)), settings.role_prefix)
    directory = TenantDirectory(engine, ttl=settings.tenant_cache_seconds, grace_days=settings.billing_grace_days)
    return PlatformState(settings, engine, directory, prefix)
