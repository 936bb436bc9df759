"""The path of `make run`: migrate, seed, then `wijknet serve --demo-login` under gunicorn
serves the demo, and a demo person signs in through the local OpenID provider."""

import os
import re
import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import clean_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str) -> httpx.Response:
    for _ in range(150):
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def _worker_of(pid):
    import psutil

    for child in psutil.Process(pid).children():
        try:
            if child.cmdline()[-1:] == ["worker"]:
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def test_serve_with_demo_login(run_cli, environ):
    assert run_cli("db", "upgrade").returncode == 0
    assert run_cli("demo", "seed").returncode == 0
    port, provider_port = _free_port(), _free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "wijknet")
    proc = subprocess.Popen(
        [
            exe,
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--demo-login",
            "--demo-login-port",
            str(provider_port),
            "--worker",
        ],
        env=clean_env(environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        home = _wait_for(f"{base}/t/tarwewijk/")
        assert home.status_code == 200 and "All Inclusive Wijk Tarwewijk" in home.text
        _wait_for(f"http://127.0.0.1:{provider_port}/.well-known/openid-configuration")
        with httpx.Client(base_url=base, follow_redirects=False) as browser:
            to_provider = browser.get("/login/demo", params={"next": "/t/tarwewijk/"})
            assert to_provider.status_code == 302
            authorize = to_provider.headers["location"]
            assert authorize.startswith(f"http://127.0.0.1:{provider_port}/")
            back = httpx.post(authorize, data={"sub": "anouk@tarwewijk.example", "action": "allow"})
            assert back.status_code in (302, 303)
            done = browser.get(back.headers["location"])
            assert done.status_code == 302 and done.headers["location"] == "/t/tarwewijk/"
            page = browser.get("/t/tarwewijk/")
            assert "Anouk Pinas" in page.text and "Uitloggen" in page.text

            # Anouk is the lab's admin: her invitation is mailed by the worker into the outbox,
            # which only network staff may read.
            admin_page = browser.get("/t/tarwewijk/admin/invitations").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', admin_page).group(1)
            invited = browser.post(
                "/t/tarwewijk/admin/invitations", data={"csrf_token": token, "email": "buur@example.org", "role": "member"}
            )
            assert invited.status_code == 200
            assert browser.get("/dev/outbox").status_code == 404
        with httpx.Client(base_url=base, follow_redirects=False) as staff:
            authorize = staff.get("/login/demo", params={"next": "/"}).headers["location"]
            back = httpx.post(authorize, data={"sub": "staf@wijknet.example", "action": "allow"})
            assert staff.get(back.headers["location"]).status_code == 302
            for _ in range(100):
                outbox = staff.get("/dev/outbox").text
                if "buur@example.org" in outbox:
                    break
                time.sleep(0.2)
            assert "Aan buur@example.org" in outbox and "Uitnodiging voor All Inclusive Wijk Tarwewijk" in outbox
        # A worker that dies is started again by `serve --worker` (security review finding 13).
        first = _worker_of(proc.pid)
        first.kill()
        for _ in range(50):
            again = _worker_of(proc.pid)
            if again is not None and again.pid != first.pid:
                break
            time.sleep(0.2)
        assert again is not None and again.pid != first.pid
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert f"{base}/t/tarwewijk/" in out and "/api/docs" in out
    assert f"{base}/dev/outbox" in out
    assert "anouk@tarwewijk.example" in out and "admin of All Inclusive Wijk Tarwewijk" in out


def test_serve_says_so_when_the_port_is_taken(run_cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--bind", f"127.0.0.1:{port}")
        by_env = run_cli("serve", extra_env={"PORT": str(port)})
    assert result.returncode == 1 and "already in use" in result.stderr and "PORT=8080 make run" in result.stderr
    assert "served on" not in result.stdout
    assert by_env.returncode == 1 and f"127.0.0.1:{port} is already in use" in by_env.stderr


def test_workers_are_forks_of_an_app_that_holds_no_connection(app, engine):
    """gunicorn.conf.py builds the app once in the master (preload_app), so a worker,
    also one recycled after max_requests, starts in milliseconds; the master closes every
    connection building the app opened before it forks, so no worker shares a socket."""
    import runpy
    from types import SimpleNamespace

    from sqlalchemy import text

    conf = runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "..", "gunicorn.conf.py"))
    assert conf["preload_app"] is True and conf["max_requests"] > 0
    with engine.connect() as conn:  # as if building the app had used the database
        conn.execute(text("SELECT 1"))
    assert engine.pool.checkedin() >= 1
    conf["when_ready"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app)))
    assert app.extensions["wijknet"].engine is engine and engine.pool.checkedin() == 0
