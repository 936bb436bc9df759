"""Issue 12: a lab exported and imported into a new lab compares equal, row by row."""

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from wijknet.platform.modules import tenant_metadata
from wijknet.platform.tenancy.export import ExportError, export_tenant, import_tenant
from wijknet.platform.tenancy.uow import tenant_unit_of_work

from ...conftest import MIGRATIONS

pytestmark = pytest.mark.tenancy


def _dump(engine, tenant):
    """Every table's rows (generated columns aside), as comparable tuples."""
    found = {}
    with tenant_unit_of_work(engine, tenant, system=True) as session:
        for table in tenant_metadata().sorted_tables:
            columns = [c for c in table.columns if c.computed is None]
            found[table.name] = [tuple(row) for row in session.execute(select(*columns).order_by(*table.primary_key.columns))]
    return found


def test_a_seeded_lab_exported_and_imported_compares_equal_row_by_row(engine, prefix, board_tenant_with_posts):
    source = board_tenant_with_posts
    payload, summary = export_tenant(engine, source.slug)
    assert summary.tables["board_posts"] == 61 and summary.tables["members"] >= 4
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["tenant"]["slug"] == source.slug and manifest["modules"]["board"]["enabled"] is True
        assert archive.read("csv/board_posts.csv").decode().splitlines()[0].startswith("id,kind,title")
    copy, counts = import_tenant(
        engine, payload, slug=f"{source.slug}-kopie"[:40], name=None, role_prefix=prefix, migrations_dir=MIGRATIONS, actor="test"
    )
    assert counts == summary.tables
    from wijknet.platform.tenancy.lookups import tenant_ref

    assert _dump(engine, tenant_ref(copy, ("board",))) == _dump(engine, source)
    # and the copy goes on from there: new rows get new ids
    with tenant_unit_of_work(engine, tenant_ref(copy, ("board",))) as session:
        from wijknet.tenants.core.operations import record

        record(session, "test.after_import")
        session.flush()


def test_a_damaged_or_foreign_file_is_refused_and_makes_nothing(engine, prefix, make_tenant):
    source = make_tenant()
    payload, _ = export_tenant(engine, source.slug)
    with pytest.raises(ExportError, match="not a zip"):
        import_tenant(engine, b"no zip", slug="kapot-een", name=None, role_prefix=prefix, migrations_dir=MIGRATIONS, actor="t")
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(payload)) as original, zipfile.ZipFile(damaged, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            changed = data.replace(b"tenant.provisioned", b"tenant.provisioneX")
            copy.writestr(item, changed if item.filename == "json/audit_log.json" else data)
    with pytest.raises(ExportError, match="checksum"):
        import_tenant(
            engine, damaged.getvalue(), slug="kapot-twee", name=None, role_prefix=prefix, migrations_dir=MIGRATIONS, actor="t"
        )
    from sqlalchemy.orm import Session

    from wijknet.platform.tenancy.models import Tenant

    with Session(engine) as session:  # nothing was made
        assert session.scalars(select(Tenant).where(Tenant.slug.in_(["kapot-een", "kapot-twee"]))).all() == []


def test_cli_export_and_import(run_cli, tmp_path, make_tenant):
    source = make_tenant(name="Lab Export")
    out = tmp_path / "lab.zip"
    done = run_cli("tenants", "export", "--slug", source.slug, "--out", str(out))
    assert done.returncode == 0 and "exported" in done.stdout and out.stat().st_size > 500
    again = run_cli("tenants", "import", "--file", str(out), "--slug", "lab-export-kopie")
    assert again.returncode == 0, again.stderr
    assert "imported into lab-export-kopie" in again.stdout
    listed = json.loads(run_cli("tenants", "list", "--json").stdout)
    assert any(t["slug"] == "lab-export-kopie" and t["name"] == "Lab Export" for t in listed)
    missing = run_cli("tenants", "export", "--slug", "bestaat-niet", "--out", str(tmp_path / "x.zip"))
    assert missing.returncode == 1 and "No living lab" in missing.stderr
