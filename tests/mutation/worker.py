"""One cosmic-ray HTTP worker for `make mutate --jobs N`, listening on 127.0.0.1 only (the
worker runs whatever test command it is sent, so it must never listen on a network).

    python tests/mutation/worker.py <port>

Started by run.py in a copy of the repository (its working directory), with that copy's
virtualenv first on PATH: the mutant is made in the copy and its tests run there."""

from __future__ import annotations

import sys

from aiohttp import web
from cosmic_ray.distribution.http import handle_mutate_and_test


def main(argv: list[str]) -> int:
    app = web.Application()
    app.add_routes([web.post("/", handle_mutate_and_test)])
    web.run_app(app, host="127.0.0.1", port=int(argv[0]), print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
