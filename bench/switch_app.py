"""The app for bench/tenant_switch.py, optionally *without* the tenant switch.

With BENCH_WITHOUT_SWITCH set, every tenant session runs as the application role with the
tenant's schema named by a schema translate map instead of the unit of work's switch (role,
search_path, read-only state, the registry check): the same pages, the same queries, the
same answers, minus the switch. Never imported by the application.
"""

import os

from sqlalchemy import event

from wijknet.platform.app import create_app
from wijknet.platform.tenancy import uow

if os.environ.get("BENCH_WITHOUT_SWITCH"):
    event.remove(uow.TenantSession, "after_begin", uow._enter_tenant)
    _init = uow.TenantSession.__init__

    def _without_switch(self, bind, tenant, **kw):
        _init(self, bind.execution_options(schema_translate_map={None: tenant.schema_name}), tenant, **kw)

    uow.TenantSession.__init__ = _without_switch

app = create_app()
