"""The app plus one bench-only page: the tenant home rendered without a tenant switch.

It runs the same ORM query (schema-qualified, as the application role, in one
transaction) and renders the same template, so the difference to /t/<slug>/ is the cost of the
unit of work's switch. Never imported by the application.
"""

from flask import g, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wijknet.platform.app import create_app
from wijknet.tenants.core.models import Member

app = create_app()
state = app.extensions["wijknet"]


@app.get("/bench/no-switch/<slug>/")
def no_switch(slug: str):
    tenant = state.directory.by_slug(slug)
    g.tenant = tenant
    # Same ORM session and query as the real page; the schema is named by a translate map
    # instead of the unit of work's role and search_path switch.
    engine = state.engine.execution_options(schema_translate_map={None: tenant.schema_name})
    with Session(engine) as session, session.begin():
        counts = dict(session.execute(select(Member.role, func.count()).group_by(Member.role)).all())
    return render_template("core/home.html", tenant=tenant, member_count=sum(counts.values()), counts=counts)
