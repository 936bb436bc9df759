"""The app for bench/tenant_switch.py, optionally *without* the tenant switch.

Without the switch, every tenant session runs as the application role with the tenant's
schema named by a schema translate map instead of the unit of work's switch (role,
search_path, read-only state, the registry check): the same pages, the same queries, the
same answers, minus the switch. BENCH_WITHOUT_SWITCH set: the app starts without it (for
gunicorn); bench/switch_in_process.py turns it off and on between blocks of requests.
Never imported by the application.
"""

import os

from sqlalchemy import event

from wijknet.platform.app import create_app
from wijknet.platform.tenancy import uow

_with_switch_init = uow.TenantSession.__init__


def _translated_init(self, bind, tenant, **kw):
    _with_switch_init(self, bind.execution_options(schema_translate_map={None: tenant.schema_name}), tenant, **kw)


def without_switch() -> None:
    event.remove(uow.TenantSession, "after_begin", uow._enter_tenant)
    uow.TenantSession.__init__ = _translated_init


def with_switch() -> None:
    event.listen(uow.TenantSession, "after_begin", uow._enter_tenant)
    uow.TenantSession.__init__ = _with_switch_init


if os.environ.get("BENCH_WITHOUT_SWITCH"):
    without_switch()

app = create_app()
