"""A living lab's data as one zip, and back: every table of its schema as CSV (for people and
spreadsheets) and JSON (for restoring), with a manifest (what the lab is, which modules and
settings it has, its schema version, and per table the number of rows and a checksum).

`export_tenant` reads everything in one transaction as the lab's own role, so the export is
one consistent moment. `import_tenant` makes a new lab from an export: same tables, same
rows (ids included), its identity counters moved past them. Memberships live in the
platform and are not part of a lab's data: the people of an imported lab are invited anew.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Date, DateTime, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..modules import tenant_metadata
from ..refusals import DomainError
from .lookups import tenant_ref
from .migrate import tenant_head
from .models import ModuleSetting, Tenant
from .uow import tenant_unit_of_work

FORMAT = "wijknet-tenant-export/1"


class ExportError(DomainError):
    code = "export"


def _tables():
    """Tenant tables in an order that respects their foreign keys; generated columns left out."""
    for table in tenant_metadata().sorted_tables:
        columns = [c for c in table.columns if c.computed is None]
        yield table, columns


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _cell(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass(frozen=True)
class ExportSummary:
    tables: dict[str, int]
    size: int


def export_tenant(engine: Engine, slug: str) -> tuple[bytes, ExportSummary]:
    """The zip of lab `slug` (bytes) and what is in it."""
    with Session(engine) as session:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
        if tenant is None or tenant.status not in ("active", "suspended"):
            raise ExportError(f"No living lab {slug!r} to export.", code="export.no_tenant", status=404)
        settings = {
            row.module: {"enabled": row.enabled, "settings": row.settings}
            for row in session.scalars(select(ModuleSetting).where(ModuleSetting.tenant_id == tenant.id))
        }
        ref = tenant_ref(tenant, tuple(sorted(m for m, s in settings.items() if s["enabled"])))
        about = {
            "slug": tenant.slug,
            "name": tenant.name,
            "type": tenant.type,
            "region": tenant.region,
            "tagline": tenant.tagline,
            "plan": tenant.plan,
            "join_policy": tenant.join_policy,
        }
    buffer, counts, manifest_tables = io.BytesIO(), {}, {}
    # One snapshot for every table: the export is one consistent moment.
    snapshot = engine.execution_options(isolation_level="REPEATABLE READ")
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        tenant_unit_of_work(snapshot, ref, system=True) as session,
    ):
        version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        for table, columns in _tables():
            order = [c for c in table.primary_key.columns] or columns
            rows = session.execute(select(*columns).order_by(*order)).all()
            names = [c.name for c in columns]
            as_csv = io.StringIO()
            writer = csv.writer(as_csv)
            writer.writerow(names)
            writer.writerows([_cell(v) for v in row] for row in rows)
            data = [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in rows]
            as_json = json.dumps(data, ensure_ascii=False, indent=1)
            archive.writestr(f"csv/{table.name}.csv", as_csv.getvalue())
            archive.writestr(f"json/{table.name}.json", as_json)
            counts[table.name] = len(rows)
            manifest_tables[table.name] = {
                "rows": len(rows),
                "columns": names,
                "sha256": hashlib.sha256(as_json.encode()).hexdigest(),
            }
        archive.writestr(
            "manifest.json",
            json.dumps(
                {
                    "format": FORMAT,
                    "exported_at": datetime.now(timezone.utc).isoformat(),
                    "tenant": about,
                    "modules": settings,
                    "schema_version": version,
                    "tables": manifest_tables,
                },
                ensure_ascii=False,
                indent=1,
            ),
        )
    payload = buffer.getvalue()
    return payload, ExportSummary(counts, len(payload))


def read_manifest(archive: zipfile.ZipFile) -> dict:
    """The manifest, once every table file is found and matches its checksum."""
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError):
        raise ExportError(
            "This is not a wijknet export: it has no readable manifest.json.", code="export.not_an_export"
        ) from None
    if manifest.get("format") != FORMAT:
        raise ExportError(f"Unknown export format {manifest.get('format')!r}; expected {FORMAT}.", code="export.format")
    for name, entry in manifest.get("tables", {}).items():
        try:
            raw = archive.read(f"json/{name}.json")
        except KeyError:
            raise ExportError(f"json/{name}.json is missing: the export is incomplete.", code="export.damaged") from None
        if hashlib.sha256(raw).hexdigest() != entry.get("sha256"):
            raise ExportError(f"json/{name}.json does not match its checksum: the export is damaged.", code="export.damaged")
    return manifest


def _restore(value, column):
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def import_rows(engine: Engine, ref, archive: zipfile.ZipFile, manifest: dict) -> dict[str, int]:
    """Load the export's rows into the (new, empty) lab `ref`; checksums are checked first."""
    counts = {}
    with tenant_unit_of_work(engine, ref, system=True) as session:
        for table, columns in _tables():
            entry = manifest["tables"].get(table.name)
            if entry is None:
                continue  # a table the export's version did not have: stays empty
            raw = archive.read(f"json/{table.name}.json").decode()  # its checksum was checked by read_manifest
            by_name = {c.name: c for c in columns}
            rows = [{k: _restore(v, by_name[k]) for k, v in row.items() if k in by_name} for row in json.loads(raw)]
            session.execute(text(f'DELETE FROM "{table.name}"'))  # provisioning's own defaults make way
            if rows:
                session.execute(pg_insert(table), rows)
            for column in columns:
                if column.identity is not None:
                    # Two statements: on Citus the max is read on the worker holding the
                    # table, the sequence lives on the coordinator.
                    highest = session.execute(text(f'SELECT max("{column.name}") FROM "{table.name}"')).scalar()
                    session.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), :value)"),
                        {"value": max(highest or 1, 1)},
                    )
            counts[table.name] = len(rows)
    return counts


def check_version(manifest: dict, migrations_dir: str) -> None:
    head = tenant_head(migrations_dir)
    if manifest.get("schema_version") != head:
        raise ExportError(
            f"The export is of schema version {manifest.get('schema_version')}, this installation is at {head}: "
            "import it into an installation of the same version, migrate that lab, and export it again.",
            code="export.version",
        )


def import_tenant(
    engine: Engine, payload: bytes, *, slug: str, name: str | None, role_prefix: str, migrations_dir: str, actor: str
) -> tuple[Tenant, dict[str, int]]:
    """A new lab `slug` with the data of an export (made by export_tenant, same schema version)."""
    from .provisioning import TenantSpec, provision_tenant

    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile:
        raise ExportError("This is not a zip file.", code="export.not_a_zip") from None
    with archive:
        manifest = read_manifest(archive)
        check_version(manifest, migrations_dir)
        about = manifest["tenant"]
        spec = TenantSpec(
            slug=slug,
            name=name or about["name"],
            type=about["type"],
            region=about["region"],
            tagline=about["tagline"],
            plan=about["plan"],
            modules=tuple(m for m, s in manifest["modules"].items() if s["enabled"]),
        )
        tenant = provision_tenant(engine, spec, role_prefix=role_prefix, migrations_dir=migrations_dir, actor=actor)
        with Session(engine) as session, session.begin():
            for module, saved in manifest["modules"].items():
                row = session.get(ModuleSetting, (tenant.id, module))
                if row is not None:
                    row.settings = saved["settings"]
            session.get(Tenant, tenant.id).join_policy = about.get("join_policy", "invite_only")
        counts = import_rows(engine, tenant_ref(tenant, spec.modules), archive, manifest)
    return tenant, counts
