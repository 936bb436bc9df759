"""gunicorn settings for wijknet (production and `make run`)."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
max_requests = 5000  # recycle workers (and their connections) after a bounded life
max_requests_jitter = 500
# The app is built once, in the master, and every worker is a fork of it: a worker (also
# each one recycled after max_requests) starts in milliseconds instead of building the
# app again (about 2 s of CPU, taken from the other worker on a 2-core machine: a recycle
# every few thousand requests cost 10 % of the throughput at full load, issue 18), and the
# workers share the app's memory. The master holds no database connection when it forks
# (`when_ready`); each worker connects on its first request.
preload_app = True
# No access log of gunicorn's own: the app writes one JSON line per request (request id,
# tenant, user id, route, status, duration; platform/observability.py).
accesslog = None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Called once the address is bound, before any worker starts: `wijknet serve` says where it serves.

    Whatever connections building the app opened are closed here, in the master, so no
    worker inherits a socket the master or another worker also uses."""
    app = server.app.wsgi()  # with preload_app: the app the workers will fork with
    state = getattr(app, "extensions", {}).get("wijknet")
    if state is not None:
        state.engine.dispose()
    message = os.environ.get("WIJKNET_READY_MESSAGE")
    if message:
        print(message, flush=True)
