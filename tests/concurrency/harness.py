"""Many requests at the same moment, from threads, against the app and a real PostgreSQL.

`at_once(n, request)` starts `n` threads that wait at a barrier and then each call
`request(i)`; it returns the results (or the exceptions) in order. Each thread should use
its own test client (cookies and CSRF tokens are per client)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def at_once(n: int, request):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait(timeout=30)
        return request(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(run, i) for i in range(n)]
        return [future.result(timeout=120) for future in futures]
