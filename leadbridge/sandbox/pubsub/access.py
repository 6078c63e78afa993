"""Who may call: the `accesstoken`, `instanceurl` and `tenantid` metadata of every RPC."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import grpc

from leadbridge.sandbox.auth import TokenStore
from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.ids import to18

from .errors import AUTH_ERROR, PubSubError

_LOOPBACK = {"127.0.0.1": "localhost"}


def _host(url: str) -> str:
    parts = urlsplit(url.strip() if "://" in url else "https://" + url.strip())
    host = (parts.hostname or "").lower()
    return f"{_LOOPBACK.get(host, host)}:{parts.port or 443}"


def _refused(what: str) -> PubSubError:
    return PubSubError(
        grpc.StatusCode.UNAUTHENTICATED, AUTH_ERROR, f"Authentication failed: {what}"
    )


def check(
    metadata: Iterable[tuple[str, str | bytes]], tokens: TokenStore, instance_url: str, org_id: str
) -> str:
    """The calling user's id; raises PubSubError (UNAUTHENTICATED) when anything is wrong."""
    values = {key.lower(): value for key, value in metadata if isinstance(value, str)}
    token = values.get("accesstoken", "")
    if not token:
        raise _refused("no accesstoken")
    try:
        user_id = tokens.check(token.removeprefix("Bearer ").strip())
    except SalesforceError:
        raise _refused("the session is invalid or expired") from None
    if _host(values.get("instanceurl", "")) != _host(instance_url):
        raise _refused("instanceurl is not this org's instance URL")
    try:
        tenant = to18(values.get("tenantid", ""))
    except ValueError:
        raise _refused("tenantid is not an org id") from None
    if tenant != to18(org_id):
        raise _refused("tenantid is not this org's id")
    return user_id
