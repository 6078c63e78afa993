"""Logging in: which simple-salesforce login each flow uses, and where it is sent.

simple-salesforce builds every login URL as `https://{domain}.salesforce.com/...`, so a login
URL becomes its `domain` argument:

    https://login.salesforce.com       → "login"
    https://test.salesforce.com        → "test"
    https://acme.my.salesforce.com     → "acme.my"   (any *.salesforce.com host: its prefix)
    https://localhost:8443 (sandbox)   → "localhost:8443/services/oauth2/token#"

The last form is the fragment trick (salesforce-api.md §1.3): everything after `#` is a
fragment that requests drops, so the login goes to the host and path we chose. The path
depends on the login call: SOAP login or the OAuth token endpoint.

The JWT bearer flow is the exception: simple-salesforce names `https://{domain}.salesforce.com`
as the assertion's audience, which is wrong for any other host (the sandbox, an Experience
Cloud site). leadbridge signs that assertion itself, with `jwt_audience(login_url)`, and posts it
to the login URL's token endpoint with simple-salesforce's `token_login`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin, token_login

from leadbridge.errors import ConfigurationError

from .credentials import CrmCredentials
from .errors import Redactor, from_auth_failure, from_transport_error, make_error, no_redaction

Endpoint = Literal["soap", "oauth"]

SALESFORCE_SUFFIX = ".salesforce.com"
GENERIC_LOGIN_DOMAINS = frozenset({"login", "test"})
# SOAP login() is gone from API 65.0 on; the session it returns works with any REST version.
LAST_SOAP_LOGIN_VERSION = "64.0"
PRODUCTION_AUDIENCE = "https://login.salesforce.com"
SANDBOX_AUDIENCE = "https://test.salesforce.com"
# A JWT assertion is valid this long (Salesforce allows at most 3 minutes from signing).
JWT_LIFETIME_SECONDS = 180
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def login_domain(login_url: str, endpoint: Endpoint = "oauth", *, api_version: str = "59.0") -> str:
    """simple-salesforce's `domain` argument for a login URL (see the module docstring)."""
    parts = urlsplit(login_url.strip())
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ConfigurationError(
            f"the login URL must be an https:// URL (such as https://login.salesforce.com), "
            f"not {login_url!r}"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError("the login URL must not carry credentials, a query or a fragment")
    host = parts.hostname.lower()
    path = parts.path.rstrip("/")
    if host.endswith(SALESFORCE_SUFFIX) and parts.port in (None, 443) and not path:
        return host.removesuffix(SALESFORCE_SUFFIX)
    if endpoint == "soap":
        target = f"/services/Soap/u/{soap_version(api_version)}"
    else:
        target = "/services/oauth2/token"
    return f"{parts.netloc}{path}{target}#"


def soap_version(api_version: str) -> str:
    return (
        api_version
        if float(api_version) <= float(LAST_SOAP_LOGIN_VERSION)
        else LAST_SOAP_LOGIN_VERSION
    )


def jwt_audience(login_url: str) -> str:
    """The `aud` Salesforce wants in a JWT bearer assertion for this login URL.

    On salesforce.com: https://test.salesforce.com for sandbox and scratch orgs (test, or a
    `*.sandbox.my` / `*.scratch.my` My Domain), https://login.salesforce.com for every other
    org, My Domain included. Elsewhere (the sandbox emulator, an Experience Cloud site) the
    login URL itself, without a trailing slash."""
    parts = urlsplit(login_url.strip())
    host = (parts.hostname or "").lower()
    if host.endswith(SALESFORCE_SUFFIX) and parts.port in (None, 443):
        labels = host.removesuffix(SALESFORCE_SUFFIX).split(".")
        test = labels == ["test"] or "sandbox" in labels[1:] or "scratch" in labels[1:]
        return SANDBOX_AUDIENCE if test else PRODUCTION_AUDIENCE
    return f"https://{parts.netloc}{parts.path.rstrip('/')}"


def jwt_token_url(login_url: str) -> str:
    """The OAuth token endpoint at the login URL (a My Domain's own, the sandbox's)."""
    parts = urlsplit(login_url.strip())
    return f"https://{parts.netloc}{parts.path.rstrip('/')}/services/oauth2/token"


def login_arguments(credentials: CrmCredentials, *, api_version: str) -> dict[str, Any]:
    """The keyword arguments for `SalesforceLogin` (minus the session) for this flow."""
    flow = credentials.flow
    if flow == "password":
        if credentials.client_id and credentials.client_secret:
            return {  # OAuth username-password: the token is appended to the password
                "username": credentials.username,
                "password": (credentials.password or "") + (credentials.security_token or ""),
                "consumer_key": credentials.client_id,
                "consumer_secret": credentials.client_secret,
                "domain": login_domain(credentials.login_url, "oauth"),
            }
        return {  # SOAP login(), with the security token (empty for trusted IP ranges)
            "username": credentials.username,
            "password": credentials.password,
            "security_token": credentials.security_token or "",
            "sf_version": soap_version(api_version),
            "domain": login_domain(credentials.login_url, "soap", api_version=api_version),
        }
    domain = login_domain(credentials.login_url, "oauth")
    if flow == "client_credentials":
        if domain in GENERIC_LOGIN_DOMAINS:
            raise ConfigurationError(
                "the client credentials flow must log in at the org's My Domain URL "
                "(https://NAME.my.salesforce.com), not login/test.salesforce.com"
            )
        return {
            "consumer_key": credentials.client_id,
            "consumer_secret": credentials.client_secret,
            "domain": domain,
        }
    _check_private_key(credentials.private_key or "")
    return {  # for `jwt_login`: the token at the login URL, the audience Salesforce wants
        "username": credentials.username,
        "consumer_key": credentials.client_id,
        "privatekey": credentials.private_key,
        "token_url": jwt_token_url(credentials.login_url),
        "audience": jwt_audience(credentials.login_url),
        "domain": domain,
    }


def jwt_login(
    session: requests.Session,
    *,
    username: str,
    consumer_key: str,
    privatekey: str,
    token_url: str,
    audience: str,
    domain: str,
) -> tuple[str, str]:
    """The JWT bearer flow, as simple-salesforce's but with the right audience: an RS256
    assertion (iss, sub, aud, exp) posted to `token_url`; `(session id, instance)`."""
    claims = {
        "iss": consumer_key,
        "sub": username,
        "aud": audience,
        "exp": int(time.time()) + JWT_LIFETIME_SECONDS,
    }
    assertion = jwt.encode(claims, privatekey, algorithm="RS256")
    data = {"grant_type": JWT_GRANT, "assertion": assertion}
    session_id, instance = token_login(token_url, data, domain, consumer_key, None, None, session)
    return str(session_id), str(instance)


def _check_private_key(pem: str) -> None:
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise make_error(
            "INVALID_PRIVATE_KEY",
            "the JWT private key is not an unencrypted PEM private key",
        ) from None


def login_hint(credentials: CrmCredentials, message: str) -> str | None:
    """What a refused login most likely means, for the two causes leadbridge can see."""
    text = message.lower()
    bare_password = credentials.flow == "password" and not credentials.security_token
    if bare_password and ("authentication failure" in text or "security token" in text):
        return (
            "no security token was given: Salesforce accepts the password alone only from "
            "an address in the org's trusted IP ranges"
        )
    if credentials.flow == "jwt" and "audience" in text:
        return (
            f"the assertion named {jwt_audience(credentials.login_url)} as its audience, "
            f"from the login URL {credentials.login_url}"
        )
    return None


@dataclass(frozen=True)
class LoginResult:
    session_id: str = field(repr=False)
    instance: str  # host[:port] of the org's instance, as simple-salesforce wants it


def log_in(
    credentials: CrmCredentials,
    session: requests.Session,
    *,
    api_version: str,
    redact: Redactor = no_redaction,
) -> LoginResult:
    """Log in once; failures become CrmError (configuration for refusals, transient for
    network trouble)."""
    arguments = login_arguments(credentials, api_version=api_version)
    try:
        if credentials.flow == "jwt":
            session_id, instance = jwt_login(session, **arguments)
        else:
            session_id, instance = SalesforceLogin(session=session, **arguments)
    except SalesforceAuthenticationFailed as exc:
        error = from_auth_failure(exc, redact=redact)
        hint = login_hint(credentials, error.message)
        if hint:
            error = make_error(
                error.error_code, f"{error.message} ({hint})", status=error.status, redact=redact
            )
        raise error from None
    except requests.RequestException as exc:
        raise from_transport_error(exc, login_url=credentials.login_url) from None
    if not session_id or not instance:
        raise make_error("LOGIN_FAILED", "the login answer had no session or instance URL")
    return LoginResult(str(session_id), str(instance))
