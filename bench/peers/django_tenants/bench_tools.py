"""What bench/peers/run.py asks of the peer, run in the peer's own virtualenv:

    python bench_tools.py provision PREFIX COUNT   # times Client(...).save() + its Domain, in-process
    python bench_tools.py seed SCHEMA MEMBERS      # members and an API token in one lab; prints the token
    python bench_tools.py ready                    # builds the WSGI app (start-up to a ready app)

Prints JSON on stdout.
"""

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")


def host(schema: str) -> str:
    """A lab's host name (Django refuses an underscore in a host)."""
    return schema.replace("_", "-") + ".peer.localhost"


def provision(prefix: str, count: int) -> list[float]:
    from customers.models import Client, Domain

    timings = []
    for i in range(count):
        start = time.perf_counter()
        tenant = Client(schema_name=f"{prefix}{i}", name=f"Lab {prefix}{i}")
        tenant.save()  # creates the schema and runs the tenant app's migrations in it
        Domain(domain=host(f"{prefix}{i}"), tenant=tenant, is_primary=True).save()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def seed(schema: str, members: int) -> str:
    import hashlib
    import secrets

    from customers.models import ApiToken, Client
    from django.db import connection

    tenant = Client.objects.get(schema_name=schema)
    token = "pt_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(token_hash=hashlib.sha256(token.encode()).hexdigest(), tenant=tenant, email="bench@example.org")
    connection.set_tenant(tenant)
    with connection.cursor() as cursor:
        for i in range(members):
            cursor.execute(
                "INSERT INTO members (user_id, display_name, role) VALUES (%s, %s, %s)",
                [i + 1, f"Bewoner {i + 1:02d} van {schema}", "admin" if i == 0 else "member"],
            )
    return token


if __name__ == "__main__":
    import django

    action = sys.argv[1]
    if action == "ready":
        from django.core.wsgi import get_wsgi_application

        get_wsgi_application()
        print(json.dumps({"ready": True}))
        sys.exit(0)
    django.setup()
    if action == "provision":
        print(json.dumps(provision(sys.argv[2], int(sys.argv[3]))))
    elif action == "seed":
        print(json.dumps(seed(sys.argv[2], int(sys.argv[3]))))
    else:
        sys.exit(f"unknown action {action!r}")
