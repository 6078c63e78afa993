"""The HTTP surface's outer defences: allowed hosts and security headers, on every response.

- Host checking: a request whose `Host` header names none of the allowed hosts (settings:
  `LEADBRIDGE_ALLOWED_HOSTS`) is answered 400 with the error envelope, before any route runs.
  That stops DNS-rebinding pages from talking to a leadbridge on localhost, and poisoned
  absolute links. `*.example.com` allows every subdomain; `*` allows any host.
- Security headers: a Content-Security-Policy without inline script, `frame-ancestors 'none'`,
  nosniff, a same-origin Referrer-Policy, X-Frame-Options and, over HTTPS only (the scheme
  uvicorn sets from trusted proxy headers behind TLS), Strict-Transport-Security.

Public form handlers (`/form-handlers/...`) are posted to from other sites' pages. A CSP on
our response cannot stop that post (`form-action` binds the page holding the form, which is
the website's), so they need nothing looser; they answer with a redirect or a small page that
runs no script, so they get the strictest policy: nothing may load, nothing may frame it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadbridge.api.errors import error_response

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
FORM_HANDLER_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
FORM_HANDLER_PREFIX = "/form-handlers/"
DOCS_PATH = "/api/docs"
_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
HSTS = "max-age=31536000; includeSubDomains"
_COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def content_security_policy(path: str) -> str:
    """The CSP for a response to `path`."""
    return FORM_HANDLER_CSP if path.startswith(FORM_HANDLER_PREFIX) else CONSOLE_CSP


def docs_policy(page: bytes) -> str:
    """The CSP of the API docs page (Swagger UI): its script and styles from the CDN FastAPI
    links, and its one inline script allowed by hash, so 'unsafe-inline' is never needed."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'none'; script-src {_CDN} {hashes}; style-src {_CDN}; "
        f"img-src 'self' data: {_CDN} https://fastapi.tiangolo.com; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"
    )


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (those of errors included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") == DOCS_PATH:
            await self._docs(scope, receive, send)
            return
        csp = content_security_policy(str(scope.get("path", "")))
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(message, csp, https=https)
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The docs page is small: held whole, so its inline script can be hashed."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        page = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        for message in held:
            if message["type"] == "http.response.start":
                add_security_headers(
                    message, docs_policy(page), https=scope.get("scheme") == "https"
                )
            await send(message)


def add_security_headers(start: Message, csp: str, *, https: bool) -> None:
    """Add the headers to a response's start message; headers a route set itself are kept
    (a page may need its own CSP)."""
    headers = MutableHeaders(scope=start)
    for name, value in _COMMON.items():
        headers.setdefault(name, value)
    headers.setdefault("content-security-policy", csp)
    if https:
        headers.setdefault("strict-transport-security", HSTS)


def host_of(header: str) -> str | None:
    """The host name in a Host header (`name`, `name:port`, `[v6]:port`), lower-cased;
    None when it is malformed."""
    value = header.strip().lower()
    if value.startswith("["):
        name, closed, rest = value[1:].partition("]")
        if not closed or (rest and not _is_port(rest[1:] if rest[0] == ":" else "x")):
            return None
        return name or None
    name, _, port = value.partition(":") if value.count(":") == 1 else (value, "", "")
    if port and not _is_port(port):
        return None
    return name or None


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit()


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    for pattern in allowed:
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


def request_host_allowed(scope: Scope, allowed: Sequence[str]) -> bool:
    """Whether the request's Host header names an allowed host (`allowed` lower-cased)."""
    raw = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
    host = host_of(raw)
    return host is not None and host_allowed(host, allowed)


class AllowedHostsMiddleware:
    """Answers 400 to a request for a host that is not allowed (the error envelope)."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = [host.strip().lower() for host in allowed_hosts if host.strip()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        host = host_of(raw)
        if host is not None and host_allowed(host, self.allowed):
            await self.app(scope, receive, send)
            return
        shown = (host or raw)[:100]
        message = (
            f"this server does not answer for the host {shown!r}; "
            "allowed hosts are set by LEADBRIDGE_ALLOWED_HOSTS"
            if raw
            else "send a Host header"
        )
        await error_response(400, "invalid_host", message, "host")(scope, receive, send)


def install_security(app: FastAPI, *, allowed_hosts: Sequence[str]) -> None:
    """Host checking, then security headers on every response (even the host check's 400).

    Middleware added last runs first: the headers wrap the host check, which wraps the rest."""
    app.add_middleware(AllowedHostsMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(SecurityHeadersMiddleware)
