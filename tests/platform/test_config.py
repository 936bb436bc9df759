import pytest

from wijknet.platform.app import create_app
from wijknet.platform.config import DEV_SECRET, ConfigError, load_settings


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET, "short"])
def test_production_refuses_missing_or_default_secret(secret):
    env = {"WIJKNET_ENV": "production", "DATABASE_URL": "postgresql://x@localhost/x"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_settings(env)


def test_production_refuses_to_create_app_without_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"WIJKNET_ENV": "production", "DATABASE_URL": "postgresql://x@localhost/x"})


def test_production_needs_database_url():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings({"WIJKNET_ENV": "production", "SECRET_KEY": "x" * 40})


def test_production_settings_accepted():
    from cryptography.fernet import Fernet

    settings = load_settings(
        {
            "WIJKNET_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "postgresql://x@h/db",
            "WIJKNET_BASE_DOMAIN": "wijknet.nl",
            "WIJKNET_SECRETS_KEY": Fernet.generate_key().decode(),
            "WIJKNET_MAIL_URL": "smtp+starttls://wijk:geheim@smtp.example.nl:587",
        }
    )
    assert settings.is_production and settings.base_domain == "wijknet.nl"
    assert settings.mail_from == "wijknet <noreply@wijknet.nl>"
    assert settings.public_url == "https://wijknet.nl"


def test_public_url_for_links_in_email():
    from cryptography.fernet import Fernet

    base = {
        "WIJKNET_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": "postgresql://x@h/db",
        "WIJKNET_SECRETS_KEY": Fernet.generate_key().decode(),
        "WIJKNET_MAIL_URL": "smtp://127.0.0.1:25",
    }
    with pytest.raises(ConfigError, match="WIJKNET_PUBLIC_URL"):
        load_settings(base)
    with pytest.raises(ConfigError, match="https:// in production"):
        load_settings(dict(base, WIJKNET_PUBLIC_URL="http://wijknet.nl"))
    assert load_settings(dict(base, WIJKNET_PUBLIC_URL="https://wijknet.nl/")).public_url == "https://wijknet.nl"
    for bad in ("wijknet.nl", "ftp://wijknet.nl", "https://", "https://wijknet.nl/?a=1"):
        with pytest.raises(ConfigError, match="WIJKNET_PUBLIC_URL"):
            load_settings({"WIJKNET_PUBLIC_URL": bad})
    assert load_settings({}).public_url == "http://127.0.0.1:8000"


def test_unknown_environment_and_bad_base_domain_refused():
    with pytest.raises(ConfigError, match="WIJKNET_ENV"):
        load_settings({"WIJKNET_ENV": "staging"})
    with pytest.raises(ConfigError, match="WIJKNET_BASE_DOMAIN"):
        load_settings({"WIJKNET_BASE_DOMAIN": "evil'.com"})


def test_production_cookie_is_secure(engine, database_url):
    from cryptography.fernet import Fernet

    app = create_app(
        {
            "WIJKNET_ENV": "production",
            "SECRET_KEY": "s" * 40,
            "DATABASE_URL": database_url,
            "WIJKNET_SECRETS_KEY": Fernet.generate_key().decode(),
            "WIJKNET_MAIL_URL": "smtp://127.0.0.1:25",
            "WIJKNET_PUBLIC_URL": "https://wijknet.example.nl",
        },
        engine=engine,
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    answer = app.test_client().get("/healthz")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert app.extensions["wijknet"].settings.provider_private_addresses is False
    assert app.config["RATELIMIT_STORAGE_URI"] == "wijknet+postgresql://"


def test_development_makes_its_own_secret_once(tmp_path, monkeypatch):
    """Security review finding 9: no public default secret; one random secret per install."""
    from wijknet.platform import config

    monkeypatch.setattr(config, "repository_root", lambda: str(tmp_path))
    first = load_settings({}).secret_key
    assert first != config.DEV_SECRET and len(first) >= 32
    assert load_settings({}).secret_key == first
    assert oct((tmp_path / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert load_settings({"WIJKNET_ENV": "test"}).secret_key not in (first, config.DEV_SECRET)


def test_proxy_hops_validated_and_applied(engine, database_url):
    with pytest.raises(ConfigError, match="WIJKNET_PROXY_HOPS"):
        load_settings({"WIJKNET_PROXY_HOPS": "many"})
    app = create_app({"WIJKNET_ENV": "test", "DATABASE_URL": database_url, "WIJKNET_PROXY_HOPS": "1"}, engine=engine)

    @app.get("/whoami-test")
    def whoami():
        from flask import request

        return request.remote_addr

    seen = app.test_client().get(
        "/whoami-test", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert seen.get_data(as_text=True) == "203.0.113.7"


def test_secrets_key_required_in_production_and_validated():
    base = {"WIJKNET_ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql://x@h/db"}
    with pytest.raises(ConfigError, match="WIJKNET_SECRETS_KEY must be set"):
        load_settings(base)
    with pytest.raises(ConfigError, match="Fernet key"):
        load_settings(dict(base, WIJKNET_SECRETS_KEY="too-short"))
    assert load_settings({}).secrets_key != load_settings({"SECRET_KEY": "other" * 10}).secrets_key


def test_mail_url_required_in_production_and_validated():
    from cryptography.fernet import Fernet

    base = {
        "WIJKNET_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": "postgresql://x@h/db",
        "WIJKNET_SECRETS_KEY": Fernet.generate_key().decode(),
    }
    with pytest.raises(ConfigError, match="WIJKNET_MAIL_URL must be set"):
        load_settings(base)
    with pytest.raises(ConfigError, match="production needs an SMTP server"):
        load_settings(dict(base, WIJKNET_MAIL_URL="log"))
    for bad in ("http://mail.example.nl", "smtp://", "smtp://host:notaport"):
        with pytest.raises(ConfigError, match="WIJKNET_MAIL_URL"):
            load_settings({"WIJKNET_MAIL_URL": bad})
    with pytest.raises(ConfigError, match="WIJKNET_MAIL_RETRY_SECONDS"):
        load_settings({"WIJKNET_MAIL_RETRY_SECONDS": "0"})
    assert load_settings({}).mail_url == "log"
