"""Settings of the peer project, as django-tenants' documentation advises; the database
comes from DATABASE_URL (the same server as wijknet's side of the bench)."""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

_url = urlsplit(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peer"))

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": _url.path.lstrip("/"),
        "USER": unquote(_url.username or "postgres"),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
        # Persistent connections, as Django's documentation advises for speed.
        "CONN_MAX_AGE": int(os.environ.get("PEER_CONN_MAX_AGE", "600")),
        # Behind PgBouncer in transaction mode Django's documentation asks for this.
        "DISABLE_SERVER_SIDE_CURSORS": bool(os.environ.get("PEER_BEHIND_PGBOUNCER")),
    }
}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

SHARED_APPS = ("django_tenants", "customers", "django.contrib.contenttypes")
TENANT_APPS = ("lab",)
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]
TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"

# make bench-peers adds tenant migrations (a column and an index) in a copy of lab/migrations
# outside the repository; Django is pointed at it here.
if os.environ.get("PEER_LAB_MIGRATIONS"):
    import sys

    sys.path.insert(0, os.path.dirname(os.environ["PEER_LAB_MIGRATIONS"]))
    MIGRATION_MODULES = {"lab": os.path.basename(os.environ["PEER_LAB_MIGRATIONS"])}
# The tenant schema: wijknet's own compiled script (lab/migrations/0001_initial.py runs it).
# Found from here, not from the migration's file: make bench-peers runs a copy of the
# migrations from a folder outside the repository.
WIJKNET_TENANT_SCHEMA = Path(__file__).resolve().parents[4] / "migrations" / "tenant" / "schema_at_head.sql"
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(os.environ.get("PEER_PROCESSES", "2"))

MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.common.CommonMiddleware",
]
TEMPLATES = []
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
