"""The `wijknet` console script, run as a real process against the test database."""

import json
import os
import re
import socket
import subprocess
import sys

import pytest
from sqlalchemy import text

from tests.conftest import clean_env, fresh_database

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

pytestmark = pytest.mark.tenancy


def _exists(engine, kind: str, name: str) -> bool:
    sql = {"schema": "SELECT 1 FROM pg_namespace WHERE nspname = :n", "role": "SELECT 1 FROM pg_roles WHERE rolname = :n"}[kind]
    with engine.connect() as conn:
        return bool(conn.execute(text(sql), {"n": name}).scalar())


def test_two_tenants_created_by_the_cli(run_cli, engine, client):
    first = run_cli(
        "tenants",
        "create",
        "--slug",
        "cli-noord",
        "--name",
        "Buurt Noord",
        "--type",
        "wijkbedrijf",
        "--region",
        "Groningen",
        "--modules",
        "board,contracts",
        "--admin-email",
        "admin@noord.example",
    )
    second = run_cli("tenants", "create", "--slug", "cli-zuid", "--name", "Buurt Zuid", "--type", "cooperative")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    # The first admin is invited (the email is queued with the link printed here).
    link = re.search(r"(http\S+/t/cli-noord/invitation/\S+)", first.stdout).group(1)
    invitation = client.get(link.split("8000", 1)[1])
    assert invitation.status_code == 200 and "beheerder" in invitation.get_data(as_text=True)
    with engine.connect() as conn:
        queued = conn.execute(
            text(
                "SELECT args->>'to', args->>'body' FROM jobs.procrastinate_jobs"
                " WHERE task_name = 'wijknet.send_email' AND args->>'to' = 'admin@noord.example'"
            )
        ).all()
    assert len(queued) == 1 and link in queued[0][1]
    listed = run_cli("tenants", "list", "--json")
    assert listed.returncode == 0
    rows = {row["slug"]: row for row in json.loads(listed.stdout)}
    noord, zuid = rows["cli-noord"], rows["cli-zuid"]
    assert noord["status"] == zuid["status"] == "active"
    assert noord["modules"] == ["board", "contracts"] and noord["type"] == "wijkbedrijf"
    for row in (noord, zuid):
        assert _exists(engine, "schema", row["schema"]) and _exists(engine, "role", row["role"])
    assert noord["schema"] != zuid["schema"]
    page_noord = client.get("/t/cli-noord/").get_data(as_text=True)
    page_zuid = client.get("/t/cli-zuid/").get_data(as_text=True)
    assert "Buurt Noord" in page_noord and "Nog niemand" in page_noord and "Buurt Zuid" not in page_noord
    assert "Buurt Zuid" in page_zuid and "Nog niemand" in page_zuid
    human = run_cli("tenants", "list")
    assert "cli-noord" in human.stdout and "cli-zuid" in human.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--slug", "ab", "--name", "X"], "3 to 40 characters"),
        (["--slug", "admin", "--name", "X"], "reserved"),
        (["--slug", "good-slug-cli", "--name", "X", "--modules", "board,casino"], "Unknown module"),
        (["--slug", "good-slug-cli", "--name", "X", "--admin-email", "not-an-email"], "not an email"),
    ],
)
def test_create_refuses_bad_input_with_message_and_exit_1(run_cli, args, message):
    result = run_cli("tenants", "create", *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "good-slug-cli" not in run_cli("tenants", "list").stdout  # nothing made, not even half


def test_usage_errors_exit_2(run_cli):
    assert run_cli("tenants", "create", "--name", "No slug").returncode == 2
    assert run_cli("tenants", "create", "--slug", "x-y-z", "--name", "N", "--plan", "gold").returncode == 2


def test_duplicate_slug_exit_1(run_cli):
    assert run_cli("tenants", "create", "--slug", "cli-dubbel", "--name", "Een").returncode == 0
    again = run_cli("tenants", "create", "--slug", "cli-dubbel", "--name", "Twee")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_suspend_resume_and_delete(run_cli, engine, client):
    assert run_cli("tenants", "create", "--slug", "cli-weg", "--name", "Weg Lab").returncode == 0
    row = next(r for r in json.loads(run_cli("tenants", "list", "--json").stdout) if r["slug"] == "cli-weg")
    assert run_cli("tenants", "suspend", "--slug", "cli-weg", "--reason", "test").returncode == 0
    assert client.post("/t/cli-weg/").status_code == 423
    assert run_cli("tenants", "resume", "--slug", "cli-weg").returncode == 0
    assert client.post("/t/cli-weg/").status_code == 405
    refused = run_cli("tenants", "delete", "--slug", "cli-weg", input="wrong\n")
    assert refused.returncode == 1 and "nothing was deleted" in refused.stderr
    assert _exists(engine, "schema", row["schema"])
    confirmed = run_cli("tenants", "delete", "--slug", "cli-weg", input="cli-weg\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert not _exists(engine, "schema", row["schema"]) and not _exists(engine, "role", row["role"])
    assert client.get("/t/cli-weg/").status_code == 404
    with engine.connect() as conn:
        actions = (
            conn.execute(text("SELECT action FROM platform.staff_audit_log WHERE tenant_slug = 'cli-weg' ORDER BY id"))
            .scalars()
            .all()
        )
    assert actions == ["tenant.created", "tenant.suspended", "tenant.resumed", "tenant.deleted"]


def test_unknown_tenant_actions_exit_1(run_cli):
    for command in ("suspend", "resume", "delete"):
        result = (
            run_cli("tenants", command, "--slug", "no-such-lab", "--yes")
            if command == "delete"
            else run_cli("tenants", command, "--slug", "no-such-lab")
        )
        assert result.returncode == 1 and "No living lab" in result.stderr


def test_demo_seed_is_idempotent(run_cli):
    first = run_cli("demo", "seed")
    assert first.returncode == 0, first.stderr
    second = run_cli("demo", "seed")
    lines = second.stdout.splitlines()
    assert second.returncode == 0 and sum(line.startswith("living lab") for line in lines) == 3
    assert lines and all(line.endswith("already there") for line in lines if not line.startswith("people:")), second.stdout
    assert "board tarwewijk: already there" in second.stdout and "board tarwewijk:" in first.stdout
    rows = {r["slug"]: r for r in json.loads(run_cli("tenants", "list", "--json").stdout)}
    assert {"de-werkplaats", "startersco", "tarwewijk"} <= set(rows)
    assert {rows[s]["type"] for s in ("de-werkplaats", "startersco", "tarwewijk")} == {
        "cooperative",
        "social_cooperative",
        "wijkbedrijf",
    }


def test_a_database_not_set_up_or_not_there_gets_a_message_not_a_traceback(run_cli, server_url):
    """A command on a database without the platform's tables, or on no database at all: exit 1
    and what to do, on stderr."""
    with fresh_database(server_url) as empty:
        bare = run_cli("tenants", "list", extra_env={"DATABASE_URL": empty})
    assert bare.returncode == 1 and "Traceback" not in bare.stderr
    assert "run `wijknet db upgrade` first" in bare.stderr
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = run_cli("tenants", "list", extra_env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres"})
    assert gone.returncode == 1 and "Traceback" not in gone.stderr
    assert "Cannot reach the database named by DATABASE_URL" in gone.stderr


WEB = ("flask", "flask_smorest", "flask_babel", "marshmallow", "authlib", "limits", "alembic", "jinja2")
TENANT_MODELS = tuple(f"wijknet.tenants.{name}.models" for name in ("core", "board", "assets", "contracts", "ledger"))


@pytest.mark.parametrize(
    "args,expected",
    [
        (["tenants", "list", "--json"], []),
        # The module rows take each module's default settings (marshmallow), not its models:
        # the tables come from the compiled script (schema_script.py).
        (["tenants", "create", "--slug", "lichte-start", "--name", "Lichte start"], ["marshmallow"]),
    ],
)
def test_tenant_commands_start_without_the_web_layer(environ, engine, args, expected):
    """Issue 18: a command imports what it needs, not Flask and the web app's libraries
    (each costs start-up; the Citus helpers once pulled Flask in through an error class, the
    modules' labels through flask-babel), nor every module's models to create a lab."""
    script = (
        "import json, sys\n"
        "from wijknet.platform.cli import main\n"
        "try:\n"
        f"    main({args!r}, standalone_mode=False)\n"
        "finally:\n"
        f"    print(json.dumps([m for m in {WEB + TENANT_MODELS!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=clean_env(environ), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected


def test_the_wijknet_program_collects_less_often_and_finishes_at_exit(environ, engine):
    """The console script (pyproject: wijknet.platform.cli:run) raises the collector's
    threshold for the command's process and finishes it at exit; importing `main` (tests,
    tools) leaves the interpreter as it was."""
    import tomllib

    with open(os.path.join(REPO, "pyproject.toml"), "rb") as fh:
        assert tomllib.load(fh)["project"]["scripts"]["wijknet"] == "wijknet.platform.cli:run"
    script = (
        "import atexit, gc, json, sys\n"
        "from wijknet.platform.cli import main, run\n"
        "before = gc.get_threshold()\n"
        "atexit.register(lambda: print(json.dumps([before, gc.get_threshold(), gc.get_freeze_count()])))\n"
        "sys.argv = ['wijknet', 'tenants', 'list', '--json']\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=clean_env(environ), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    before, during, frozen = json.loads(done.stdout.strip().splitlines()[-1])
    assert before == [700, 10, 10] and during == [50_000, 10, 10] and frozen > 10_000


def test_a_command_says_goodbye_to_the_database_and_skips_the_last_collection(environ, engine):
    """At its end a command closes its connections (the server sees them go, no dropped
    socket) and freezes what is left, so the interpreter's last garbage collection has
    nothing to visit (about 0.1 s a command; common.finish)."""
    script = (
        "import gc, json, time\n"
        "from wijknet.platform.cli import common\n"
        "engine = common.state().engine\n"
        "with engine.connect() as conn:\n"
        "    pid = conn.exec_driver_sql('SELECT pg_backend_pid()').scalar()\n"
        "common.finish()\n"
        "pooled, frozen = engine.pool.checkedin(), gc.get_freeze_count()\n"
        "for _ in range(100):  # the server ends the backend right after the goodbye\n"
        "    with engine.connect() as conn:\n"
        "        alive = conn.exec_driver_sql(f'SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}').scalar()\n"
        "    if not alive:\n"
        "        break\n"
        "    time.sleep(0.02)\n"
        "print(json.dumps({'alive': alive, 'pooled': pooled, 'frozen': frozen}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=clean_env(environ), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"alive": 0, "pooled": 0, "frozen": seen["frozen"]} and seen["frozen"] > 10_000


@pytest.mark.parametrize(
    "args,message",
    [
        (["tenants", "suspend", "--slug", "nergens"], "No living lab with slug 'nergens'"),
        (["tenants", "add-domain", "--slug", "nergens", "--host", "buurt.example.nl:80"], "is not a host name"),
        (["tenants", "export", "--slug", "nergens", "--out", "nergens.zip"], "nergens"),
        (["tenants", "nodes"], "Citus"),
        (["tokens", "create", "--tenant", "nergens", "--email", "x@example.org"], "No living lab with slug 'nergens'"),
        (["users", "add", "--email", "geen-adres", "--name", "X"], "not an email address"),
    ],
)
def test_a_refusal_of_any_command_is_its_message_and_exit_1(run_cli, engine, tmp_path, monkeypatch, args, message):
    """A rule that says no (any DomainError) ends a command with its message, no traceback:
    one conversion for every command (LazyGroup.invoke), the Citus ones included."""
    monkeypatch.chdir(tmp_path)
    result = run_cli(*args)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
