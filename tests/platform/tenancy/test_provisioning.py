"""Provisioning: names from id + prefix, validation, idempotent and resumable."""

import os

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from wijknet.platform.modules import tenant_metadata
from wijknet.platform.tenancy import provisioning
from wijknet.platform.tenancy.models import ModuleSetting, StaffAuditEntry, Tenant
from wijknet.platform.tenancy.names import normalise_host, role_name, role_prefix, schema_name, slug_problem
from wijknet.platform.tenancy.provisioning import ProvisioningError, TenantSpec, provision_tenant
from wijknet.tenants.board.settings import DEFAULT_CATEGORIES as DEFAULT_BOARD_CATEGORIES

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "migrations")

pytestmark = pytest.mark.tenancy

TABLES_AT_HEAD = len(tenant_metadata().tables) + 1  # and alembic_version


def _state(engine, slug):
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, status, schema_name, role_name, schema_version FROM platform.tenants WHERE slug = :s"), {"s": slug}
        ).one_or_none()
        if row is None:
            return None
        return {
            "status": row.status,
            "role": bool(conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": row.role_name}).scalar()),
            "schema": bool(conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": row.schema_name}).scalar()),
            "stamped": conn.execute(
                text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f'"{row.schema_name}".alembic_version'}
            ).scalar(),
            "tables": conn.execute(
                text("SELECT count(*) FROM pg_class WHERE relnamespace = to_regnamespace(:s) AND relkind = 'r'"),
                {"s": row.schema_name},
            ).scalar(),
            "version": row.schema_version,
        }


def test_names_derive_from_id_and_prefix(make_tenant, prefix):
    tenant = make_tenant(slug="names-check")
    assert tenant.schema_name == schema_name(tenant.id) == f"t_{tenant.id:06d}"
    assert tenant.role_name == role_name(prefix, tenant.id) == f"{prefix}_t_{tenant.id:06d}"
    assert "names" not in tenant.schema_name + tenant.role_name


def test_role_prefix_is_safe_and_short():
    assert role_prefix("Wijk-Net DB") == "wijk_net_db"
    assert role_prefix("x" * 100).__len__() + len("_t_000000000") <= 63
    assert role_prefix("db", "custom") == "custom"


@pytest.mark.parametrize(
    "slug",
    [
        "ab",
        "Abc",
        "1abc",
        "a" * 41,
        "abc_def",
        "abc-",
        "ab--cd",
        "www",
        "api",
        "admin",
        "static",
        "staff",
        "élan",
        "a'; drop",
        "../etc",
    ],
)
def test_bad_and_reserved_slugs_refused(engine, prefix, slug):
    assert slug_problem(slug)
    with pytest.raises(ProvisioningError):
        provision_tenant(engine, TenantSpec(slug=slug, name="X"), role_prefix=prefix, migrations_dir=MIGRATIONS)
    assert _state(engine, slug) is None


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "  ", "name"),
        ("type", "bank", "Type"),
        ("plan", "gold", "Plan"),
        ("modules", ("board", "casino"), "Unknown module"),
    ],
)
def test_bad_fields_refused_with_clear_message(engine, prefix, field, value, message):
    spec = TenantSpec(**{"slug": "valid-slug-x", "name": "Valid", field: value})
    with pytest.raises(ProvisioningError, match=message):
        provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS)
    assert _state(engine, "valid-slug-x") is None


def test_provisioning_makes_everything_and_seeds_defaults(engine, make_tenant):
    tenant = make_tenant(slug="full-check", modules=("board", "assets"))
    state = _state(engine, "full-check")
    assert state == {
        "status": "active",
        "role": True,
        "schema": True,
        "stamped": True,
        "tables": TABLES_AT_HEAD,
        "version": state["version"],
    }
    assert state["version"].startswith("t")
    with Session(engine) as session:
        settings = {m.module: m for m in session.scalars(select(ModuleSetting).where(ModuleSetting.tenant_id == tenant.id))}
        assert {k for k, v in settings.items() if v.enabled} == {"board", "assets"}
        assert settings["board"].settings["categories"] == DEFAULT_BOARD_CATEGORIES
        assert settings["assets"].settings["cooperative_fee_percent"] == 10
        audit = session.scalars(select(StaffAuditEntry.action).where(StaffAuditEntry.tenant_id == tenant.id)).all()
        assert audit == ["tenant.created"]


def test_existing_slug_refused(make_tenant, engine, prefix):
    make_tenant(slug="taken-slug")
    with pytest.raises(ProvisioningError, match="already exists"):
        provision_tenant(engine, TenantSpec(slug="taken-slug", name="Other"), role_prefix=prefix, migrations_dir=MIGRATIONS)


class Crash(Exception):
    pass


@pytest.mark.parametrize("step", ["_create_role", "_create_schema", "_create_tables", "_activate"])
def test_interrupted_provisioning_is_finished_by_running_again(engine, prefix, monkeypatch, step):
    slug = f"crash-{step.strip('_').replace('_', '-')}"[:40]
    spec = TenantSpec(slug=slug, name="Crash test", modules=("board",))

    def crash(*args, **kwargs):
        raise Crash(step)

    with monkeypatch.context() as patch:
        patch.setattr(provisioning, step, crash)
        with pytest.raises(Crash):
            provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS)
    half = _state(engine, slug)
    assert half["status"] == "provisioning"
    assert half["stamped"] == (step == "_activate")  # crashed before or after the tables step
    assert half["schema"] == (step in ("_create_tables", "_activate"))

    tenant = provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS)
    assert tenant.status == "active"
    assert _state(engine, slug) == {
        "status": "active",
        "role": True,
        "schema": True,
        "stamped": True,
        "tables": TABLES_AT_HEAD,
        "version": tenant.schema_version,
    }
    # Run once more: nothing to do, nothing duplicated.
    with pytest.raises(ProvisioningError, match="already exists"):
        provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS)
    with Session(engine) as session:
        assert session.scalar(select(Tenant.id).where(Tenant.slug == slug)) == tenant.id
        assert len(session.scalars(select(ModuleSetting).where(ModuleSetting.tenant_id == tenant.id)).all()) == 4


def test_crash_after_tables_before_activation_keeps_a_consistent_schema(engine, prefix, monkeypatch):
    """The tables step is one transaction: a crash inside it leaves the schema empty, and the
    next run makes every table in it."""
    spec = TenantSpec(slug="crash-inside-ddl", name="Crash")

    def crash_in_stamp(*args, **kwargs):
        raise Crash("stamp")

    monkeypatch.setattr(provisioning, "stamp_tenant", crash_in_stamp)
    with pytest.raises(Crash):
        provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS)
    state = _state(engine, "crash-inside-ddl")
    assert state["role"] and state["schema"] and state["tables"] == 0 and not state["stamped"]
    monkeypatch.undo()
    assert provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS).status == "active"


def test_hosts_are_normalised_or_refused():
    assert normalise_host("Buurt.Example.NL.") == "buurt.example.nl"
    assert normalise_host("localhost:8000") == "localhost:8000"
    for bad in ["", "a" * 300, "evil'.com", "bad host", "ex ample.com", "../x", "münchen.de", "x.com;drop", "x..com"]:
        assert normalise_host(bad) is None, bad


@pytest.mark.parametrize("step", ["_first_admin", "_activate"])
def test_a_new_labs_first_admin_is_invited_exactly_once_whatever_crashes(app, engine, prefix, monkeypatch, step):
    """Security review finding 14: the first admin's invitation is one of the resumable steps,
    before activation: a lab never goes live without it, and a re-run never sends two."""
    from wijknet.platform.identity.joining import invite_first_admin
    from wijknet.platform.identity.models import Invitation

    slug = f"first-admin-{step.strip('_').replace('_', '-')}"[:40]
    spec = TenantSpec(slug=slug, name="Eerste beheerder", modules=("board",))
    links = []

    def first_admin(session, tenant):
        links.append(invite_first_admin(session, tenant, "Beheer@Voorbeeld.nl", public_url="https://wijknet.test", actor="test"))

    def crash(*args, **kwargs):
        raise Crash(step)

    with app.app_context():
        with monkeypatch.context() as patch:
            patch.setattr(provisioning, step, crash)
            with pytest.raises(Crash):
                provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS, first_admin=first_admin)
        assert _state(engine, slug)["status"] == "provisioning"
        tenant = provision_tenant(engine, spec, role_prefix=prefix, migrations_dir=MIGRATIONS, first_admin=first_admin)
    assert tenant.status == "active"
    with Session(engine) as session:
        invitations = session.scalars(select(Invitation).where(Invitation.tenant_id == tenant.id)).all()
        assert [(i.email, i.role, i.accepted_at) for i in invitations] == [("Beheer@voorbeeld.nl", "admin", None)]
        mails = session.execute(
            text(
                "SELECT count(*) FROM jobs.procrastinate_jobs WHERE task_name = 'wijknet.send_email'"
                " AND args->>'to' = 'Beheer@voorbeeld.nl' AND args->>'body' LIKE :link"
            ),
            {"link": f"%/t/{slug}/invitation/%"},
        ).scalar()
    assert mails == 1
    shown = [link for link in links if link]
    assert len(shown) == 1 and shown[0].startswith(f"https://wijknet.test/t/{slug}/invitation/")
