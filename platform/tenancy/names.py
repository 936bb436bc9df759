"""Slugs, host names and the database names derived from a tenant's id (never from input)."""

from __future__ import annotations

import re

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{2,39}$")
RESERVED_SLUGS = frozenset(
    """
    www api admin static staff app apps auth login logout account accounts assets
    billing blog docs help mail email support status healthz readyz metrics t tenant
    tenants platform public system root wijknet dashboard console media files cdn
    """.split()
)
# RFC 1123 host name with optional port; anything else never reaches the database.
HOST_RE = re.compile(r"^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$")
_PREFIX_CLEAN = re.compile(r"[^a-z0-9_]+")
MAX_IDENTIFIER = 63


class InvalidSlug(ValueError):
    pass


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a living lab, or None when it can."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        return "A slug is 3 to 40 characters: lowercase letters, digits and hyphens, starting with a letter."
    if slug.endswith("-") or "--" in slug:
        return "A slug may not end with a hyphen or hold two hyphens in a row."
    if slug in RESERVED_SLUGS:
        return f"The slug {slug!r} is reserved."
    return None


def is_plausible_slug(slug: str) -> bool:
    """Cheap check for the request path: only such strings are looked up."""
    return bool(SLUG_RE.fullmatch(slug))


def normalise_host(host: str | None) -> str | None:
    """Lower-cased host without a trailing dot, or None for a malformed Host header."""
    if not host or len(host) > 260:
        return None
    host = host.strip().lower().rstrip(".")
    return host if HOST_RE.fullmatch(host) else None


def schema_name(tenant_id: int) -> str:
    return f"t_{tenant_id:06d}"


def role_prefix(database: str, configured: str | None = None) -> str:
    """Role names are cluster-wide; the prefix keeps two databases on one server apart."""
    prefix = _PREFIX_CLEAN.sub("_", (configured or database).lower()).strip("_") or "wijknet"
    return prefix[: MAX_IDENTIFIER - len("_t_000000000")]


def role_name(prefix: str, tenant_id: int) -> str:
    return f"{prefix}_t_{tenant_id:06d}"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
