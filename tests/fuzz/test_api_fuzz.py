"""Generated requests over the whole OpenAPI document (schemathesis), with a member's and an
admin's token, in a lab with every module on: no answer may be a server error (security
review finding 11), and every answer must match what the document says of its status and
body (issue 17).

`make test` runs a small budget; `make fuzz` runs at least 5,000 requests
(WIJKNET_FUZZ_EXAMPLES=2500 cases, each sent with both tokens)."""

import os
import secrets
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.app import create_app
from wijknet.platform.identity.tokens import create_token
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.fixtures import load_fixture
from wijknet.tenants.board.operations import create_post
from wijknet.tenants.core.models import Member
from wijknet.tenants.core.time import tenant_today

MODULES = ("board", "assets", "contracts", "ledger")
EXAMPLES = int(os.environ.get("WIJKNET_FUZZ_EXAMPLES", "150"))  # generated cases; each is sent with 2 tokens

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def fuzz_world(database_url, engine, prefix):
    """A lab with every module and a few posts, a member's and an admin's token."""
    from tests.conftest import MIGRATIONS
    from wijknet.platform.tenancy.lookups import tenant_ref
    from wijknet.platform.tenancy.models import Tenant
    from wijknet.platform.tenancy.operations import add_member, ensure_user
    from wijknet.platform.tenancy.provisioning import TenantSpec, provision_tenant

    slug = f"fuzz-{secrets.token_hex(3)}"
    tenant = provision_tenant(
        engine,
        TenantSpec(slug=slug, name="Fuzz", modules=MODULES),
        role_prefix=prefix,
        migrations_dir=MIGRATIONS,
        actor="test",
    )
    ref = tenant_ref(tenant, MODULES)
    tokens = {}
    with Session(engine) as session, session.begin():
        for role in ("member", "admin"):
            user = ensure_user(session, f"{role}-{slug}@example.org", role.title())
            add_member(session, session.get(Tenant, tenant.id), user, role)
            tokens[role] = create_token(session, tenant_id=tenant.id, user=user, name="fuzz")[1]
    with tenant_unit_of_work(engine, ref) as session:
        author = session.scalars(select(Member)).first()
        settings_ = {
            "categories": ["zorg", "groen", "klussen", "vervoer", "voedsel", "energie", "werk", "leren"],
            "posts_per_day": 1000,
            "approval_required": False,
        }
        for item in load_fixture()[:10]:
            create_post(
                session,
                author,
                settings_,
                kind=item["kind"],
                title=item["title"],
                body=item["body"],
                categories=item["categories"],
                organisation=None,
                area=None,
                valid_until=tenant_today() + timedelta(days=30),
            )
    app = create_app({"WIJKNET_ENV": "test", "DATABASE_URL": database_url, "WIJKNET_TENANT_CACHE_SECONDS": "5"}, engine=engine)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a server error must come back as a 500, as in production
    return {"app": app, "slug": slug, "tokens": tokens}


def test_no_generated_request_is_a_server_error(fuzz_world):
    """Every operation of the document, valid and invalid data (schemathesis's positive and
    negative modes), each request sent with both tokens."""
    from hypothesis import given
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_world["app"])
    fixed = {"path_parameters": {"slug": fuzz_world["slug"]}}
    cases = st.one_of(schema.as_strategy(GenerationMode.POSITIVE, **fixed), schema.as_strategy(GenerationMode.NEGATIVE, **fixed))
    sent = {"requests": 0, "by_status": {}, "operations": set()}

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def run(case):
        for role, token in fuzz_world["tokens"].items():
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            sent["requests"] += 1
            sent["operations"].add(f"{case.method} {case.path}")
            sent["by_status"][response.status_code] = sent["by_status"].get(response.status_code, 0) + 1
            assert response.status_code < 500, (
                role,
                case.method,
                case.formatted_path,
                case.query,
                case.body,
                response.status_code,
                response.text[:500],
            )
            # The answer is one the document promises: a documented status with the documented body.
            case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])

    run()
    print(
        f"\nfuzz: {sent['requests']} requests over {len(sent['operations'])} operations, "
        f"statuses {dict(sorted(sent['by_status'].items()))}"
    )
    assert sent["requests"] >= 2 * EXAMPLES * 0.9
