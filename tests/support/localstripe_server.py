"""localstripe (a real, local Stripe) on 127.0.0.1 only, for the billing tests.

Its own command listens on every interface and keeps its data in /tmp/localstripe.pickle,
shared by everything on the machine; this wrapper binds to loopback on a free port, keeps
the data in memory, prints the port and serves until it is stopped.

    python -m tests.support.localstripe_server
"""

from __future__ import annotations

import socket
import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None  # memory only: nothing shared on disk
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    sys.exit(main())
