"""Who is signed in to a console page, and whether their role may open it.

Pages take `Viewer` (anyone signed in); a router (or route) that needs a permission adds
`dependencies=[Depends(allowed(Permission.X))]`. Both check the CSRF token
of every state-changing request, so a route cannot forget to. A caller who is not signed
in is sent to the sign-in page (and back afterwards); a role that may not is shown 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from leadbridge.api.auth import CsrfError, caller, check_csrf
from leadbridge.auth import Principal
from leadbridge.domain.access import Permission, may
from leadbridge.errors import AccessDeniedError


class SignInRequiredError(Exception):
    """Nobody is signed in: the page redirects to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def sign_in_url(next_path: str) -> str:
    return f"/sign-in?next={quote(next_path, safe='/')}"


async def signed_in(request: Request) -> Principal:
    principal = await caller(request)
    if principal is None or principal.via != "session":
        path = request.url.path
        query = request.url.query
        raise SignInRequiredError(f"{path}?{query}" if query and request.method == "GET" else path)
    await check_csrf(request, principal)
    return principal


def allowed(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: the signed-in user, whose role must hold `permission`."""

    async def dependency(request: Request) -> Principal:
        principal = await signed_in(request)
        if not may(principal.role, permission):
            raise AccessDeniedError(f"The {principal.role.label} role cannot open this page.")
        return principal

    return dependency


Viewer = Annotated[Principal, Depends(signed_in)]

__all__ = ["CsrfError", "SignInRequiredError", "Viewer", "allowed", "sign_in_url"]
