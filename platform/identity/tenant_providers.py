"""OpenID providers a tenant admin adds for their living lab (issuer, client id, secret).

The client secret is stored encrypted with the key from WIJKNET_SECRETS_KEY (Fernet); it is
never shown again after saving."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..config import OidcProvider
from ..refusals import DomainError
from ..tenancy.models import Tenant
from .joining import require_admin
from .models import TenantLoginProvider, User

NAME_PREFIX = "tenant-"


class ProviderError(DomainError):
    code = "login_provider"


def encrypt(key: str, plaintext: str) -> str:
    return Fernet(key.encode()).encrypt(plaintext.encode()).decode()


def decrypt(key: str, ciphertext: str) -> str:
    try:
        return Fernet(key.encode()).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ProviderError(
            _l("This sign-in option cannot be used: its secret cannot be read."),
            status=503,
            code="login_provider.secret_unreadable",
        ) from None


def add_tenant_provider(
    session: Session,
    tenant: Tenant,
    admin: User,
    *,
    label: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    key: str,
    allow_loopback_http: bool = False,
) -> TenantLoginProvider:
    require_admin(session, tenant, admin)
    label, issuer, client_id = (label or "").strip(), (issuer or "").strip().rstrip("/"), (client_id or "").strip()
    errors = {}
    if not 1 <= len(label) <= 60:
        errors["label"] = [_l("A name of 1 to 60 characters.")]
    loopback = allow_loopback_http and issuer.startswith(("http://localhost:", "http://127.0.0.1:"))
    if not (issuer.startswith("https://") or loopback) or len(issuer) > 300 or " " in issuer:
        errors["issuer"] = [_l("The issuer is an https:// address.")]
    if not 1 <= len(client_id) <= 200:
        errors["client_id"] = [_l("Fill in the client id.")]
    if not 1 <= len(client_secret or "") <= 500:
        errors["client_secret"] = [_l("Fill in the client secret.")]
    if errors:
        raise ProviderError(_l("Please correct the marked fields."), errors=errors, code="login_provider.invalid")
    provider = TenantLoginProvider(
        tenant_id=tenant.id,
        label=label,
        issuer=issuer,
        client_id=client_id,
        client_secret_encrypted=encrypt(key, client_secret),
        created_by=admin.id,
    )
    session.add(provider)
    session.flush()
    return provider


def remove_tenant_provider(session: Session, tenant: Tenant, admin: User, provider_id: int) -> None:
    require_admin(session, tenant, admin)
    provider = session.scalars(
        select(TenantLoginProvider).where(TenantLoginProvider.id == provider_id, TenantLoginProvider.tenant_id == tenant.id)
    ).one_or_none()
    if provider is None:
        raise ProviderError(_l("No such sign-in option."), status=404, code="login_provider.not_found")
    session.delete(provider)
    session.flush()


def providers_of(session: Session, tenant_id: int) -> list[TenantLoginProvider]:
    return list(
        session.scalars(
            select(TenantLoginProvider).where(TenantLoginProvider.tenant_id == tenant_id).order_by(TenantLoginProvider.id)
        )
    )


def as_oidc_provider(row: TenantLoginProvider, key: str) -> OidcProvider:
    return OidcProvider(
        name=f"{NAME_PREFIX}{row.id}",
        label=row.label,
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=decrypt(key, row.client_secret_encrypted),
        tenant_id=row.tenant_id,
    )
