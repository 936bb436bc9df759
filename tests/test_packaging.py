"""SPEC §2: folder layout, import names, and the standard library's `platform` intact."""

import os
import subprocess
import sys
import tomllib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_no_init_in_platform_folder():
    assert not os.path.exists(os.path.join(REPO, "platform", "__init__.py"))


def test_import_platform_from_repository_root_is_the_standard_library():
    code = "import platform, sys; print(platform.__file__); print(platform.python_version())"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert not out[0].startswith(REPO), f"`import platform` found {out[0]}"
    assert out[1] == ".".join(map(str, sys.version_info[:3]))


def test_import_names_map_to_the_folders():
    import wijknet.platform.app as app_module
    import wijknet.tenants as tenants

    assert os.path.dirname(app_module.__file__) == os.path.join(REPO, "platform")
    assert os.path.dirname(tenants.__file__) == os.path.join(REPO, "tenants")


def test_pyproject_lists_every_subpackage():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as fh:
        listed = set(tomllib.load(fh)["tool"]["setuptools"]["packages"])
    found = {"wijknet.platform", "wijknet.tenants"}
    for folder, package in (("platform", "wijknet.platform"), ("tenants", "wijknet.tenants")):
        for root, dirs, files in os.walk(os.path.join(REPO, folder)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            if "__init__.py" in files:
                rel = os.path.relpath(root, os.path.join(REPO, folder))
                found.add(package if rel == "." else package + "." + rel.replace(os.sep, "."))
    assert found == listed


def test_console_script_installed():
    exe = os.path.join(os.path.dirname(sys.executable), "wijknet")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("db", "tenants", "demo", "serve"):
        assert command in result.stdout


def test_the_production_image_is_pinned_unprivileged_and_checked():
    """Dockerfile (issue 17): an exact base release, a non-root user, a health check on
    /healthz, gunicorn with the repository's configuration, migrations in the image."""
    import re

    with open(os.path.join(REPO, "Dockerfile")) as fh:
        dockerfile = fh.read()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", b) for b in bases), bases
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", dockerfile, re.M)
    assert 'CMD ["gunicorn", "--config", "/app/gunicorn.conf.py"' in dockerfile
    assert "WIJKNET_MIGRATIONS_DIR=/app/migrations" in dockerfile and "COPY --chown=root:root migrations" in dockerfile
    with open(os.path.join(REPO, ".dockerignore")) as fh:
        ignored = fh.read().split()
    assert {".git", ".venv", "var"} <= set(ignored)  # no secrets, databases or local installs in the image


def test_the_wheel_builds_without_warnings_and_carries_its_files(tmp_path):
    """Issue 17: the first install printed 14 setuptools 'Package would be ignored' warnings
    (data folders read as packages). The wheel holds templates, static files, fixtures and
    the Dutch catalog all the same."""
    import glob
    import zipfile

    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", REPO, "--no-deps", "--quiet", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    assert "would be ignored" not in built.stdout + built.stderr
    names = zipfile.ZipFile(glob.glob(str(tmp_path / "*.whl"))[0]).namelist()
    for part in (
        "wijknet/platform/templates/base.html",
        "wijknet/platform/static/wijknet.css",
        "wijknet/tenants/board/fixtures/posts_nl.json",
        "wijknet/platform/translations/nl/LC_MESSAGES/messages.po",
    ):
        assert part in names, part
