"""A small HTTP server of our own that records what is sent to it and answers with canned
JSON: the stand-in for the parts of Stripe localstripe lacks (Checkout Sessions, the Billing
Portal), and the receiver that keeps localstripe's signed webhooks for replaying."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def form(self) -> dict:
        """The body as Stripe's form encoding, keys as sent (`line_items[0][price]`)."""
        return dict(parse_qsl(self.body.decode()))


@dataclass
class RecordingServer:
    answers: dict = field(default_factory=dict)  # (method, path) -> (status, JSON body)
    requests: list = field(default_factory=list)

    def __enter__(self):
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
                status, payload = recorder.answers.get((self.command, self.path.split("?")[0]), (200, {}))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def posted(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.split("?")[0] == path]
