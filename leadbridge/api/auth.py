"""Who is calling the HTTP app, and whether they may: an API key (`Authorization: Bearer
lbk_…`, acting as its user with that user's role) or a signed-in session cookie.

A session is what a browser sends by itself, so every state-changing request made with one
must carry the session's CSRF token (`X-CSRF-Token` header, or a `csrf_token` form field):
a page of another site cannot read it. API keys are never sent by a browser on its own, so
requests made with them need no CSRF token.

What each role may do is decided by `leadbridge.domain.access` only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from leadbridge.api.errors import ApiError
from leadbridge.api.state import services
from leadbridge.auth import Principal
from leadbridge.auth.secrets import same
from leadbridge.domain.access import Permission, may

SESSION_COOKIE = "lb_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfError(Exception):
    """A state-changing request made with a session cookie but without its CSRF token."""


async def caller(request: Request) -> Principal | None:
    """The caller, from an API key or a session cookie (None: anonymous). Cached per request."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    auth = services(request).auth
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    principal: Principal | None = None
    if scheme.lower() == "bearer" and given.strip():
        principal = await run_in_threadpool(auth.api_key_principal, given.strip())
    elif cookie := request.cookies.get(SESSION_COOKIE):
        principal = await run_in_threadpool(auth.session_principal, cookie)
    request.state.principal = principal
    return principal


async def check_csrf(request: Request, principal: Principal) -> None:
    """Refuse a state-changing session request that lacks the session's CSRF token."""
    if request.method in SAFE_METHODS or principal.via != "session":
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not principal.csrf_token or not same(given, principal.csrf_token):
        raise CsrfError("this form has expired or did not come from leadbridge; reload the page")


async def api_caller(request: Request) -> Principal:
    """An authenticated API caller (401 otherwise; 403 without a CSRF token)."""
    principal = await caller(request)
    if principal is None:
        raise ApiError(
            401,
            "unauthorized",
            "send Authorization: Bearer <API key> (create one on your Users page), "
            "or sign in to the console",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        await check_csrf(request, principal)
    except CsrfError as error:
        raise ApiError(403, "csrf", str(error)) from None
    return principal


def api_may(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: the API caller, who must hold `permission` (403 otherwise)."""

    async def dependency(request: Request) -> Principal:
        principal = await api_caller(request)
        if not may(principal.role, permission):
            raise ApiError(403, "forbidden", f"the {principal.role.label} role may not do this")
        return principal

    return dependency


ApiCaller = Annotated[Principal, Depends(api_caller)]
