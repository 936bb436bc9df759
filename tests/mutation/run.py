"""`make mutate`: mutation testing of the guard code with cosmic-ray (docs/decisions/0004).

Works on a copy (a git worktree of HEAD in var/mutate/src with its own virtualenv), never
on the developer's files: cosmic-ray changes the source in place while it runs. For each
guard file of guards.toml it makes a session (kept, so a second run resumes), runs the
file's fast tests against every mutant (stopping at the first failing test), and prints
the kill rate per file. Survivors listed in equivalent.toml (with a reason) are counted
out; every other survivor is printed. Exit 1 when a file is below 95 %.

    make mutate                      # every guard file
    make mutate FILES=platform/i18n.py
    make mutate JOBS=2               # two mutants at a time, each in its own copy

With --jobs N the copies are var/mutate/src, src-2 ... src-N (each with its virtualenv),
each served by a cosmic-ray HTTP worker on 127.0.0.1 (tests/mutation/worker.py).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WORK = REPO / "var" / "mutate"
SRC, VENV, SESSIONS = WORK / "src", WORK / "venv", WORK / "sessions"
TARGET = 0.95


def sh(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, **kw)


class Copy(NamedTuple):
    src: Path
    venv: Path


def copies(jobs: int) -> list[Copy]:
    return [Copy(SRC, VENV)] + [Copy(WORK / f"src-{k}", WORK / f"venv-{k}") for k in range(2, jobs + 1)]


def with_venv(env: dict, venv: Path) -> dict:
    """`env` with the copy's virtualenv first on PATH: the test command's `python` is its."""
    return {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}


def prepare_copy(copy: Copy) -> None:
    """A copy (var/mutate/src, src-2 ...) at HEAD (made or moved there), with a virtualenv
    that has it installed."""
    src, venv = copy
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    if (src / ".git").exists():
        current = subprocess.run(["git", "rev-parse", "HEAD"], cwd=src, capture_output=True, text=True).stdout.strip()
        sh("git", "reset", "--hard", "--quiet", "HEAD", cwd=src)  # a stopped run may have left a mutant
        if current != head:
            sh("git", "checkout", "--quiet", "--detach", head, cwd=src)
    else:
        WORK.mkdir(parents=True, exist_ok=True)
        sh("git", "worktree", "add", "--detach", "--force", src, head, cwd=REPO)
    stamp = venv / f".installed-{head}"
    if not stamp.exists():
        if not (venv / "bin" / "python").exists():
            sh(sys.executable, "-m", "venv", venv)
        sh(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "-c", src / "constraints.txt", "-e", f"{src}[test,mutate]")
        for old in venv.glob(".installed-*"):
            old.unlink()
        stamp.touch()
    # The Dutch catalog is built, not committed: without it every page is English and every
    # test (and so every mutant) would fail.
    sh(
        venv / "bin" / "pybabel",
        "compile",
        "--use-fuzzy",
        "-d",
        src / "platform" / "translations",
        "-l",
        "nl",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_command(file: str, tests: list[str], lines_json: Path) -> str:
    """Run in a copy with its virtualenv first on PATH (with_venv)."""
    return f"python tests/mutation/ordered.py {file} {lines_json} {' '.join(tests)}"


def baseline(file: str, tests: list[str], env: dict, lines_json: Path) -> None:
    """The tests must pass on the code as it is; otherwise every mutant would look killed.
    Run under coverage, it also records which tests reach which line (lines_json), so that
    each mutant meets the tests that reach it first (tests/mutation/ordered.py)."""
    data, durations = lines_json.with_suffix(".coverage"), lines_json.with_suffix(".durations.json")
    python = VENV / "bin" / "python"
    done = subprocess.run(
        [python, "-m", "coverage", "run", f"--data-file={data}", f"--include={SRC / file}", "-m", "pytest"]
        + ["-x", "-q", "-p", "no:cacheprovider", "--no-header", "-p", "tests.mutation.plugin", *tests],
        cwd=SRC,
        env={**env, "WIJKNET_MUTATION_COVER": str(durations)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"the tests of {file} fail without any mutation: fix them first")
    backwards = subprocess.run(
        [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", "-p", "tests.mutation.plugin", *tests],
        cwd=SRC,
        env={**env, "WIJKNET_MUTATION_REVERSE": "1"},
        capture_output=True,
        text=True,
    )
    if backwards.returncode != 0:
        print(backwards.stdout[-3000:], sep="\n")
        raise SystemExit(
            f"the tests of {file} fail when run in reverse order: one depends on another's leftovers, and it would"
            " 'kill' mutants it never reaches (the mutants' tests run in an order of their own). Make it independent first."
        )
    sh(python, HERE.relative_to(REPO) / "reached.py", data, durations, SRC / file, lines_json, cwd=SRC, env=env)


def session_for(file: str, tests: list[str], settings: dict, workers: list[str] | None = None) -> tuple[Path, Path]:
    SESSIONS.mkdir(parents=True, exist_ok=True)
    name = file.replace("/", "__").removesuffix(".py")
    config, session = SESSIONS / f"{name}.toml", SESSIONS / f"{name}.sqlite"
    excludes = ", ".join(f'"{e}"' for e in settings["exclude-operators"])
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{file}"\n'  # relative: each worker mutates its own copy
        f"timeout = {settings['timeout']}\n"
        "excluded-modules = []\n"
        f'test-command = "{test_command(file, tests, session.with_suffix(".lines.json"))}"\n'
        + (
            f'[cosmic-ray.distributor]\nname = "http"\n[cosmic-ray.distributor.http]\nworker-urls = {json.dumps(workers)}\n'
            if workers
            else '[cosmic-ray.distributor]\nname = "local"\n'
        )
        + f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excludes}]\n"
    )
    return config, session


def digest(paths: list[Path]) -> str:
    hashed = hashlib.sha256()
    for path in sorted(paths):
        for item in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            hashed.update(str(item.relative_to(SRC)).encode() + item.read_bytes())
    return hashed.hexdigest()


def run_file(file: str, tests: list[str], settings: dict, env: dict, workers: list[str] | None = None) -> Path:
    """A session per guard file, kept while the file stays the same. When only its tests
    changed (a test added to kill a survivor), only the survivors are tried again."""
    config, session = session_for(file, tests, settings, workers)
    meta_path = session.with_suffix(".json")
    now = {
        "source": digest([SRC / file]),
        "tests": digest([SRC / t for t in tests]),
        "operators": hashlib.sha256(repr(settings["exclude-operators"]).encode()).hexdigest(),
    }
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else ({"source": now["source"]} if session.exists() else {})
    bin_ = VENV / "bin"
    if meta.get("source") != now["source"] or meta.get("operators", now["operators"]) != now["operators"] or not session.exists():
        session.unlink(missing_ok=True)
        baseline(file, tests, env, session.with_suffix(".lines.json"))
        sh(bin_ / "cosmic-ray", "init", config, session, cwd=SRC, env=env)
        sh(bin_ / "cr-filter-operators", session, config, cwd=SRC, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sh(bin_ / "cr-filter-pragma", session, cwd=SRC, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif meta.get("tests") != now["tests"]:
        baseline(file, tests, env, session.with_suffix(".lines.json"))
        db = sqlite3.connect(session)
        retried = db.execute("DELETE FROM work_results WHERE lower(test_outcome) = 'survived'").rowcount
        db.commit()
        db.close()
        print(f"  its tests changed: trying the {retried} survivors again", flush=True)
    elif not session.with_suffix(".lines.json").exists():  # a session from before the ordering
        baseline(file, tests, env, session.with_suffix(".lines.json"))
    meta_path.write_text(json.dumps(now))
    relative_paths(session)
    sh(bin_ / "cosmic-ray", "exec", config, session, cwd=SRC, env=with_venv(env, VENV))
    return session


def relative_paths(session: Path) -> None:
    """Sessions made before --jobs named the file by its absolute path in var/mutate/src:
    every worker would mutate that one copy. Each names it relative to its copy now."""
    db = sqlite3.connect(session)
    db.execute(
        "UPDATE mutation_specs SET module_path = substr(module_path, ?) WHERE module_path LIKE ?",
        (len(f"{SRC}/") + 1, f"{SRC}/%"),
    )
    db.commit()
    db.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def http_workers(chosen: list[Copy], env: dict):
    """A cosmic-ray HTTP worker per copy (its own directory and virtualenv), stopped by PID
    at the end; yields their URLs."""
    workers: list[subprocess.Popen] = []
    urls = []
    try:
        for copy in chosen:
            port = free_port()
            log = (WORK / f"worker-{copy.src.name}.log").open("w")
            workers.append(
                subprocess.Popen(
                    [copy.venv / "bin" / "python", HERE.relative_to(REPO) / "worker.py", str(port)],
                    cwd=copy.src,
                    env=with_venv(env, copy.venv),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, worker in zip(urls, workers, strict=True):
            port = int(url.rsplit(":", 1)[1])
            for _ in range(300):
                if worker.poll() is not None:
                    raise SystemExit(f"the mutation worker on {url} stopped: see var/mutate/worker-*.log")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                time.sleep(0.1)
        yield urls
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def results(session: Path) -> list[dict]:
    db = sqlite3.connect(session)
    rows = db.execute(
        "SELECT m.operator_name, m.start_pos_row, m.module_path, r.test_outcome, r.worker_outcome, m.occurrence"
        " FROM mutation_specs m JOIN work_results r ON r.job_id = m.job_id"
    ).fetchall()
    return [dict(zip(("operator", "line", "path", "test", "worker", "occurrence"), row, strict=True)) for row in rows]


def equivalents() -> list[dict]:
    path = HERE / "equivalent.toml"
    return tomllib.loads(path.read_text()).get("equivalent", []) if path.exists() else []


def report(file: str, rows: list[dict], known: list[dict]) -> tuple[float, list[str]]:
    source = (SRC / file).read_text().splitlines()
    counted = [r for r in rows if (r["worker"] or "").lower() != "skipped"]
    survivors, equivalent = [], 0
    for row in counted:
        if (row["test"] or "").lower() != "survived":
            continue
        text = source[row["line"] - 1].strip() if row["line"] <= len(source) else ""
        if any(
            e["file"] == file
            and e["operator"] == row["operator"]
            and e["line"] == text
            and row["occurrence"] in e.get("occurrences", [row["occurrence"]])
            for e in known
        ):
            equivalent += 1
        else:
            survivors.append(f"  {file}:{row['line']} {row['operator']} (occurrence {row['occurrence']}): {text}")
    real = len(counted) - equivalent
    killed = real - len(survivors)
    rate = killed / real if real else 1.0
    print(
        f"{file:<38} {len(counted):>5} mutants  {killed:>5} killed  {equivalent:>3} equivalent  {len(survivors):>3} survived  {rate:6.1%}"
    )
    return rate, survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="guard files (default: all of guards.toml)")
    parser.add_argument("--report-only", action="store_true", help="print the kept sessions' results, run nothing")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at a time, each in its own copy (default 1)")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error("--jobs is 1 or more")
    guards = tomllib.loads((HERE / "guards.toml").read_text())
    settings, files = guards["cosmic-ray"], guards["files"]
    chosen = args.files or list(files)
    unknown = [f for f in chosen if f not in files]
    if unknown:
        print(f"not a guard file of guards.toml: {', '.join(unknown)}", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIJKNET_")}
    env["WIJKNET_FUZZ_EXAMPLES"] = "0"
    if not args.report_only:
        for copy in copies(args.jobs):
            prepare_copy(copy)
        with http_workers(copies(args.jobs), env) if args.jobs > 1 else contextlib.nullcontext(None) as workers:
            for index, file in enumerate(chosen, 1):
                print(f"[{index}/{len(chosen)}] {file}: mutating against {' '.join(files[file]['tests'])}", flush=True)
                run_file(file, files[file]["tests"], settings, env, workers)
    failing, all_survivors = [], []
    print(f"\n{'file':<38} {'':>5}")
    known = equivalents()
    for file in chosen:
        session = session_for(file, files[file]["tests"], settings)[1]
        if not session.exists():
            print(f"{file:<38} not run yet")
            failing.append(file)
            continue
        rate, survivors = report(file, results(session), known)
        all_survivors += survivors
        if rate < TARGET:
            failing.append(file)
    if all_survivors:
        print("\nsurvivors (kill them with a test, or list them in tests/mutation/equivalent.toml with the reason):")
        print("\n".join(all_survivors))
    print(f"\n{len(chosen) - len(failing)} of {len(chosen)} guard files at or above {TARGET:.0%}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
