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
# No access log of gunicorn's own: the app writes one JSON line per request (request id,
# tenant, user id, route, status, duration; platform/observability.py).
accesslog = None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Called once the address is bound, before any worker starts: `wijknet serve` says where it serves."""
    message = os.environ.get("WIJKNET_READY_MESSAGE")
    if message:
        print(message, flush=True)
