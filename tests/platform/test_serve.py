"""The path of `make run`: migrate, seed, then `wijknet serve` under gunicorn answers pages."""
import socket
import subprocess
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_the_addresses_and_serves_the_demo(run_cli, environ):
    import os
    import sys

    assert run_cli("db", "upgrade").returncode == 0
    assert run_cli("demo", "seed").returncode == 0
    port = _free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "wijknet")
    proc = subprocess.Popen([exe, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                            env=dict(os.environ, **environ), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/t/tarwewijk/", timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None and "All Inclusive Wijk Tarwewijk" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            assert "De Werkplaats" in response.read().decode()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/t/tarwewijk/" in out
    assert "/api/docs" in out
