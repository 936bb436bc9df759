"""One living lab backed up with pg_dump and restored (issue 15, F7): on plain PostgreSQL and,
in the `-m citus` tier, on Citus, where the restore distributes the schema again."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from wijknet.platform.tenancy.citus import is_citus, tenant_node
from wijknet.platform.tenancy.uow import tenant_unit_of_work
from wijknet.tenants.board.models import Post

pytestmark = pytest.mark.tenancy


def _titles(engine, tenant):
    with tenant_unit_of_work(engine, tenant) as session:
        return sorted(session.scalars(select(Post.title)))


def _guards(session) -> list[str]:
    return session.scalars(
        text(
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = to_regnamespace(current_schema()) AND NOT tgisinternal ORDER BY 1"
        )
    ).all()


def test_a_lab_backed_up_and_restored_has_its_rows_and_rules_back(
    engine, board_tenant_with_posts, make_tenant, run_cli, tmp_path
):
    tenant = board_tenant_with_posts
    other = make_tenant(modules=("board",))
    before = _titles(engine, tenant)
    with tenant_unit_of_work(engine, tenant) as session:
        guards_before = _guards(session)
    assert len(guards_before) == 8  # the ledger's six triggers and the asset shares' two
    assert len(before) == 61
    backup = tmp_path / "lab.sql"
    made = run_cli("tenants", "backup", "--slug", tenant.slug, "--out", str(backup))
    assert made.returncode == 0, made.stderr
    assert "backed up" in made.stdout and backup.stat().st_size > 10_000

    with tenant_unit_of_work(engine, tenant) as session:
        session.execute(text("DELETE FROM board_posts WHERE id IN (SELECT id FROM board_posts ORDER BY id LIMIT 10)"))
    assert len(_titles(engine, tenant)) == 51

    refused = run_cli("tenants", "restore", "--slug", other.slug, "--file", str(backup), "--yes")
    assert refused.returncode == 1 and f"is not a backup of {other.slug}" in refused.stderr
    restored = run_cli("tenants", "restore", "--slug", tenant.slug, "--file", str(backup), "--yes")
    assert restored.returncode == 0, restored.stderr

    assert _titles(engine, tenant) == before
    with tenant_unit_of_work(engine, tenant) as session:
        # The schema's own rules came back too: the tenant role owns it, the ledger's guards are there.
        assert session.execute(text("SELECT current_user")).scalar() == tenant.role_name
        owner = session.execute(
            text("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = :s"), {"s": tenant.schema_name}
        )
        assert owner.scalar() == tenant.role_name
        assert _guards(session) == guards_before
    if is_citus(engine):
        with engine.connect() as conn:
            assert tenant_node(conn, tenant.schema_name) is not None  # distributed again, on a worker


def test_an_unknown_lab_is_named_not_a_traceback(engine, run_cli, tmp_path):
    backup = run_cli("tenants", "backup", "--slug", "no-such-lab", "--out", str(tmp_path / "x.sql"))
    (tmp_path / "y.sql").write_text("-- empty\n")
    restore = run_cli("tenants", "restore", "--slug", "no-such-lab", "--file", str(tmp_path / "y.sql"), "--yes")
    for done in (backup, restore):
        assert done.returncode == 1 and "No living lab with slug 'no-such-lab'" in done.stderr and "Traceback" not in done.stderr
