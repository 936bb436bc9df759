"""HTTP to a living lab's own OpenID provider, which that lab's admin may run (SSRF guard).

The discovery document of such a provider names the addresses we then call, with the lab's
client secret. So for these providers only:
- every address is https (plain http to loopback only where private addresses are allowed,
  i.e. development and tests), on the issuer's own host or a host the operator allowed
  (`WIJKNET_PROVIDER_ENDPOINT_HOSTS`);
- the address we actually connected to is checked after DNS resolution, so a name that
  resolves (or re-resolves) to a private, loopback or link-local address is refused before
  a byte is sent (`WIJKNET_PROVIDER_PRIVATE_ADDRESSES`, never in production);
- no proxies from the environment, no redirects, a time-out, and at most 256 kB read.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from requests.adapters import HTTPAdapter
from requests.exceptions import ConnectionError as RequestsConnectionError
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

TIMEOUT_SECONDS = 8
MAX_RESPONSE_BYTES = 256 * 1024
ENDPOINT_KEYS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")


class UnsafeProviderAddress(OAuthError):
    error = "unsafe_provider_address"


def _policy() -> tuple[bool, tuple[str, ...]]:
    settings = current_app.extensions["wijknet"].settings
    return settings.provider_private_addresses, settings.provider_endpoint_hosts


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified)


def check_url(url: str, *, issuer: str | None = None) -> None:
    """Refuse an address this provider may not make us call."""
    private_ok, extra_hosts = _policy()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    loopback_http = private_ok and parts.scheme == "http" and host in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not loopback_http:
        raise UnsafeProviderAddress(description=f"{url!r} is not an https:// address")
    if parts.username or parts.password:
        raise UnsafeProviderAddress(description="addresses with a user name are not allowed")
    if issuer is not None:
        issuer_host = (urlsplit(issuer).hostname or "").lower()
        if host != issuer_host and host not in extra_hosts:
            raise UnsafeProviderAddress(description=f"{host!r} is neither the issuer's host nor an allowed one")


def _check_peer(sock) -> None:
    private_ok, _ = _policy()
    if private_ok:
        return
    peer = sock.getpeername()[0]
    if not is_public_address(peer):
        sock.close()
        raise RequestsConnectionError(f"refused to talk to a non-public address ({peer})")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """Checks every address and connected peer, bounds time and size."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        check_url(request.url)
        response = super().send(request, stream=True, timeout=timeout or TIMEOUT_SECONDS, verify=verify, cert=cert, proxies={})
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
            response.close()
            raise UnsafeProviderAddress(description="the provider's answer is too large")
        body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
        response.close()
        if len(body) > MAX_RESPONSE_BYTES:
            raise UnsafeProviderAddress(description="the provider's answer is too large")
        response._content = body
        return response


class GuardedSession(OAuth2Session):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trust_env = False  # no proxies from the environment
        self.max_redirects = 0
        adapter = GuardedAdapter(max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)


class GuardedOAuth2App(FlaskOAuth2App):
    """authlib's Flask client with every call guarded, and the discovery document's
    addresses checked against the issuer before any is used."""

    client_cls = GuardedSession

    def load_server_metadata(self):
        fresh = self._server_metadata_url and "_loaded_at" not in self.server_metadata
        metadata = super().load_server_metadata()
        if fresh:
            issuer = (metadata.get("issuer") or "").rstrip("/")
            try:
                check_url(self._server_metadata_url)
                for key in ENDPOINT_KEYS:
                    if metadata.get(key):
                        check_url(str(metadata[key]), issuer=self._server_metadata_url)
            except UnsafeProviderAddress:
                self.server_metadata.clear()  # never keep a refused document
                raise
            if not issuer:
                self.server_metadata.clear()
                raise UnsafeProviderAddress(description="the discovery document names no issuer")
        return metadata
