"""Configuration read from the environment, once, at app creation."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

DEV_SECRET = "dev-only-secret-not-for-production"
# Tests get a fresh secret per process: nothing signed in one run is valid in another.
_TEST_SECRET = __import__("secrets").token_urlsafe(48)


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str | None
    secret_key: str
    base_domain: str | None
    role_prefix: str | None
    prepared_statements: bool
    tenant_cache_seconds: float
    migrations_dir: str
    oidc_providers: tuple = ()
    proxy_hops: int = 0
    secrets_key: str = ""
    mail_url: str = "log"
    mail_from: str = "wijknet <noreply@localhost>"
    mail_retry_seconds: int = 30
    public_url: str = "http://127.0.0.1:8000"
    # Living labs' own OpenID providers: hosts their endpoints may use besides the issuer's
    # own, and whether their addresses may be private (loopback, LAN): never in production.
    provider_endpoint_hosts: tuple = ()
    provider_private_addresses: bool = False
    rate_limit_storage: str = "memory://"
    # Sign-ins started per address (flask-limiter syntax); empty: security.LOGIN_LIMIT.
    login_limit: str = ""
    # Billing (platform/billing): Stripe's keys, where its API is (tests: localstripe), the
    # price of each paid plan, and how long payment may be overdue before a lab is read-only.
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    stripe_prices: str = ""
    billing_grace_days: int = 14
    export_dir: str = ""
    upload_dir: str = ""
    # Operations (observability.py): Sentry when a DSN is set; log lines as JSON or text.
    sentry_dsn: str = ""
    sentry_traces_sample_rate: float = 0.0
    release: str = ""
    log_format: str = "json"
    # The web app's database connections: no statement runs, and no lock is waited for, longer.
    statement_timeout_ms: int = 15000
    lock_timeout_ms: int = 5000

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def repository_root() -> str:
    # platform/config.py -> repository root; migrations/ and var/ live there.
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_settings(environ: dict | None = None) -> Settings:
    env = os.environ if environ is None else environ
    mode = env.get("WIJKNET_ENV", "development").strip().lower()
    if mode not in {"development", "test", "production"}:
        raise ConfigError(f"WIJKNET_ENV={mode!r} is not one of development, test, production.")
    secret = env.get("SECRET_KEY", "")
    if mode == "production":
        if not secret or secret == DEV_SECRET or len(secret) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters in "
                "production (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        if not env.get("DATABASE_URL"):
            raise ConfigError("DATABASE_URL must be set in production.")
    base_domain = (env.get("WIJKNET_BASE_DOMAIN") or "").strip().lower() or None
    if base_domain and not re.fullmatch(
        r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?", base_domain
    ):
        raise ConfigError(f"WIJKNET_BASE_DOMAIN={base_domain!r} is not a host name.")
    providers = _oidc_providers(env.get("WIJKNET_OIDC_PROVIDERS", ""))
    if not secret:
        secret = _TEST_SECRET if mode == "test" else development_secret()
    secrets_key = _secrets_key(env.get("WIJKNET_SECRETS_KEY", ""), secret, mode)
    mail_url = _mail_url(env.get("WIJKNET_MAIL_URL", "").strip(), mode)
    public_url = _public_url(env.get("WIJKNET_PUBLIC_URL", "").strip(), base_domain, mode)
    mail_from = (env.get("WIJKNET_MAIL_FROM") or "").strip() or f"wijknet <noreply@{(base_domain or 'localhost').split(':')[0]}>"
    return Settings(
        env=mode,
        database_url=env.get("DATABASE_URL") or None,
        secret_key=secret,
        base_domain=base_domain,
        role_prefix=env.get("WIJKNET_ROLE_PREFIX") or None,
        prepared_statements=_bool(env.get("WIJKNET_PREPARED_STATEMENTS"), default=True),
        tenant_cache_seconds=float(env.get("WIJKNET_TENANT_CACHE_SECONDS", "5")),
        migrations_dir=env.get("WIJKNET_MIGRATIONS_DIR") or os.path.join(repository_root(), "migrations"),
        oidc_providers=providers,
        proxy_hops=_int(env.get("WIJKNET_PROXY_HOPS", "0"), "WIJKNET_PROXY_HOPS", 0, 5),
        secrets_key=secrets_key,
        mail_url=mail_url,
        mail_from=mail_from,
        mail_retry_seconds=_int(env.get("WIJKNET_MAIL_RETRY_SECONDS", "30"), "WIJKNET_MAIL_RETRY_SECONDS", 1, 3600),
        public_url=public_url,
        provider_endpoint_hosts=tuple(
            h.strip().lower()
            for h in env.get("WIJKNET_PROVIDER_ENDPOINT_HOSTS", DEFAULT_PROVIDER_ENDPOINT_HOSTS).split(",")
            if h.strip()
        ),
        provider_private_addresses=mode != "production" and _bool(env.get("WIJKNET_PROVIDER_PRIVATE_ADDRESSES"), default=True),
        rate_limit_storage=storage_settings(env, mode),
        login_limit=_login_limit(env.get("WIJKNET_LOGIN_LIMIT", "")),
        stripe_secret_key=env.get("WIJKNET_STRIPE_SECRET_KEY", ""),
        stripe_webhook_secret=env.get("WIJKNET_STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=(env.get("WIJKNET_STRIPE_API_BASE") or "").rstrip("/"),
        stripe_prices=_stripe_prices(env.get("WIJKNET_STRIPE_PRICES", "")),
        billing_grace_days=_int(env.get("WIJKNET_BILLING_GRACE_DAYS", "14"), "WIJKNET_BILLING_GRACE_DAYS", 0, 365),
        export_dir=env.get("WIJKNET_EXPORT_DIR") or os.path.join(repository_root(), "var", "exports"),
        upload_dir=env.get("WIJKNET_UPLOAD_DIR") or os.path.join(repository_root(), "var", "uploads"),
        sentry_dsn=(env.get("SENTRY_DSN") or "").strip(),
        sentry_traces_sample_rate=_rate(env.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        release=(env.get("WIJKNET_RELEASE") or "").strip() or _package_version(),
        log_format=_choice(env.get("WIJKNET_LOG_FORMAT", "json"), "WIJKNET_LOG_FORMAT", ("json", "text")),
        statement_timeout_ms=_int(env.get("WIJKNET_STATEMENT_TIMEOUT_MS", "15000"), "WIJKNET_STATEMENT_TIMEOUT_MS", 100, 600_000),
        lock_timeout_ms=_int(env.get("WIJKNET_LOCK_TIMEOUT_MS", "5000"), "WIJKNET_LOCK_TIMEOUT_MS", 100, 600_000),
    )


def _login_limit(raw: str) -> str:
    raw = (raw or "").strip()
    if raw:
        from limits import parse_many  # only when set: a command need not import it to start

        try:
            parse_many(raw)
        except ValueError:
            raise ConfigError(f"WIJKNET_LOGIN_LIMIT={raw!r} is not a rate such as '10 per minute;60 per hour'.") from None
    return raw


def _rate(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"SENTRY_TRACES_SAMPLE_RATE={raw!r} is not a fraction between 0 and 1 (e.g. 0.05).")
    return value


def _choice(raw: str, name: str, allowed: tuple[str, ...]) -> str:
    value = (raw or "").strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name}={raw!r} is not one of {', '.join(allowed)}.")
    return value


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"wijknet@{version('wijknet')}"
    except PackageNotFoundError:  # pragma: no cover - always installed
        return "wijknet@unknown"


def _stripe_prices(raw: str) -> str:
    from .billing.plans import load_plans

    try:
        load_plans(raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(str(exc)) from None
    return raw


RATE_LIMIT_PG_SCHEME = "wijknet+postgresql"


def storage_settings(environ: dict, mode: str) -> str:
    """Where login rate-limit counts live: RATELIMIT_STORAGE_URI, else REDIS_URL, else
    PostgreSQL (rate_limits.py), shared by every worker. Tests: per app, in memory."""
    if environ.get("RATELIMIT_STORAGE_URI"):
        return environ["RATELIMIT_STORAGE_URI"]
    if environ.get("REDIS_URL"):
        return environ["REDIS_URL"]
    return "memory://" if mode == "test" else f"{RATE_LIMIT_PG_SCHEME}://"


# Google's OpenID endpoints live on other hosts than its issuer (accounts.google.com).
DEFAULT_PROVIDER_ENDPOINT_HOSTS = "oauth2.googleapis.com,openidconnect.googleapis.com,www.googleapis.com"


def development_secret() -> str:
    """A random secret made once per installation (var/secret_key, readable by its owner
    only), so no two development installs share a key that signs session cookies."""
    import secrets

    folder = os.path.join(repository_root(), "var")
    path = os.path.join(folder, "secret_key")
    for _ in range(2):
        try:
            with open(path, encoding="ascii") as fh:
                value = fh.read().strip()
            if len(value) >= 32:
                return value
            os.remove(path)  # too short to be ours: make a new one
        except FileNotFoundError:
            pass
        os.makedirs(folder, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue  # another process made it just now: read theirs
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48))
    with open(path, encoding="ascii") as fh:
        return fh.read().strip()


def _public_url(raw: str, base_domain: str | None, mode: str) -> str:
    """Where people reach us, for links in email written outside a request."""
    if not raw:
        if base_domain:
            return f"https://{base_domain}"
        if mode == "production":
            raise ConfigError("WIJKNET_PUBLIC_URL (or WIJKNET_BASE_DOMAIN) must be set in production: links in email need it.")
        return "http://127.0.0.1:8000"
    from urllib.parse import urlsplit

    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"WIJKNET_PUBLIC_URL={raw!r} is not an http(s) address like https://wijknet.nl.")
    if mode == "production" and parts.scheme != "https":
        raise ConfigError("WIJKNET_PUBLIC_URL must be https:// in production.")
    return raw.rstrip("/")


MAIL_SCHEMES = ("smtp://", "smtp+starttls://", "smtps://")


def _mail_url(raw: str, mode: str) -> str:
    """`log` (development: the log and the outbox page) or an SMTP server URL."""
    if not raw:
        if mode == "production":
            raise ConfigError(
                "WIJKNET_MAIL_URL must be set in production, e.g. smtp+starttls://user:password@smtp.example.nl:587."
            )
        return "log"
    if raw == "log":
        if mode == "production":
            raise ConfigError("WIJKNET_MAIL_URL=log keeps mail in the database; production needs an SMTP server.")
        return raw
    if not raw.startswith(MAIL_SCHEMES):
        raise ConfigError("WIJKNET_MAIL_URL must be `log` or start with smtp://, smtp+starttls:// or smtps://.")
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError("WIJKNET_MAIL_URL has a bad port.") from None
    if not parts.hostname:
        raise ConfigError("WIJKNET_MAIL_URL names no host.")
    return raw


def _secrets_key(raw: str, secret_key: str, mode: str) -> str:
    """The Fernet key that encrypts stored secrets (tenant login providers' client secrets).

    Production needs its own key (so rotating SECRET_KEY does not lose them); elsewhere
    one is derived from SECRET_KEY."""
    import base64
    import hashlib

    if raw:
        try:
            if len(base64.urlsafe_b64decode(raw.encode())) != 32:
                raise ValueError
        except ValueError:
            raise ConfigError(
                "WIJKNET_SECRETS_KEY must be a Fernet key: "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from None
        return raw
    if mode == "production":
        raise ConfigError("WIJKNET_SECRETS_KEY must be set in production (a Fernet key).")
    return base64.urlsafe_b64encode(hashlib.sha256(("wijknet-secrets:" + secret_key).encode()).digest()).decode()


def _int(raw: str, name: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}.")
    return value


@dataclass(frozen=True)
class OidcProvider:
    """An OpenID Connect provider: network-wide (WIJKNET_OIDC_PROVIDERS, a JSON list) or a
    living lab's own (`tenant_id` set; trusted for that lab only, docs/decisions/0003).

    `link_verified_email`: the operator vouches that this provider's verified email
    addresses belong to their owners, so a first login may take an account made for that
    address. Off by default; never for a lab's own provider."""

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    link_verified_email: bool = False
    tenant_id: int | None = None


def _oidc_providers(raw: str) -> tuple[OidcProvider, ...]:
    if not raw.strip():
        return ()
    try:
        items = json.loads(raw)
        providers = tuple(
            OidcProvider(
                name=item["name"],
                label=item.get("label") or item["name"],
                issuer=item["issuer"].rstrip("/"),
                client_id=item["client_id"],
                client_secret=item.get("client_secret", ""),
                link_verified_email=item.get("link_verified_email") is True,
            )
            for item in items
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(
            "WIJKNET_OIDC_PROVIDERS must be a JSON list of objects with name, issuer, client_id and "
            f"client_secret (and optionally label and link_verified_email): {exc}"
        ) from None
    for provider in providers:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", provider.name):
            raise ConfigError(f"OpenID provider name {provider.name!r}: use 1-40 lowercase letters, digits and hyphens.")
        if not provider.issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError(f"OpenID provider {provider.name!r}: the issuer must be an https:// URL.")
    return providers
