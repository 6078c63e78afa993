"""`/account`: change your password; create and revoke your API keys (a new key is shown
once, on the page that created it, and stored only as a digest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadbridge.api.state import services
from leadbridge.auth import Principal
from leadbridge.errors import InputError, SignInError, SignInThrottledError
from leadbridge.web.auth import Viewer
from leadbridge.web.errors import redirect
from leadbridge.web.params import RowId
from leadbridge.web.templating import render, with_notice

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    principal: Principal,
    *,
    new_key: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    keys = services(request).auth.api_keys(by=principal)
    return render(
        request,
        "account/account.html",
        {"title": "Your account", "keys": keys, "new_key": new_key, "errors": errors or {}},
        status_code=status,
    )


@router.get("/account")
async def account(request: Request, principal: Viewer) -> Response:
    return await run_in_threadpool(_page, request, principal)


@router.post("/account/api-keys")
async def create_key(
    request: Request, principal: Viewer, name: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    auth = services(request).auth
    try:
        _, key = await run_in_threadpool(
            lambda: auth.create_api_key(principal.user_id, name, by=principal)
        )
    except InputError as error:
        errors = {error.item or "name": error.reason}
        return await run_in_threadpool(lambda: _page(request, principal, errors=errors, status=422))
    return await run_in_threadpool(lambda: _page(request, principal, new_key=key))


@router.post("/account/api-keys/{key_id}/revoke")
async def revoke_key(request: Request, principal: Viewer, key_id: RowId) -> Response:
    auth = services(request).auth
    info = await run_in_threadpool(lambda: auth.revoke_api_key(key_id, by=principal))
    return with_notice(redirect(request, "/account"), f"API key “{info.name}” revoked.")


@router.post("/account/password")
async def change_password(
    request: Request,
    principal: Viewer,
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    auth = services(request).auth
    client = request.client.host if request.client else "unknown"
    try:
        await run_in_threadpool(
            lambda: auth.change_password(principal.email, current, new, client=client)
        )
    except SignInError as error:
        throttled = isinstance(error, SignInThrottledError)
        errors = {"current": str(error) if throttled else "That is not your current password."}
        return await run_in_threadpool(lambda: _page(request, principal, errors=errors, status=422))
    except InputError as error:
        errors = {"new": error.reason}
        return await run_in_threadpool(lambda: _page(request, principal, errors=errors, status=422))
    response = with_notice(redirect(request, "/sign-in"), "Password changed. Sign in again.")
    response.delete_cookie("lb_session", path="/")
    return response
