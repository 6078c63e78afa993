"""`/sign-in` and `/sign-out`.

The sign-in form is protected from cross-site posts by a double-submit token: a random value
in a cookie and in the form, which must match (nobody is signed in yet, so there is no
session to hold a CSRF token). After signing in, the session cookie is HttpOnly,
SameSite=Lax, and Secure when the request came over HTTPS.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadbridge.api.auth import SESSION_COOKIE, caller
from leadbridge.api.state import services
from leadbridge.auth import secrets
from leadbridge.auth.service import SESSION_MAX
from leadbridge.errors import SignInError, SignInThrottledError
from leadbridge.web.auth import signed_in
from leadbridge.web.errors import redirect
from leadbridge.web.templating import render, with_notice

router = APIRouter(include_in_schema=False)
FORM_COOKIE = "lb_signin"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _form(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = request.cookies.get(FORM_COOKIE) or secrets.new_token()
    response = render(
        request,
        "signin/sign_in.html",
        {"next": next_path, "email": email, "error": error, "form_token": token},
        status_code=status,
    )
    response.set_cookie(
        FORM_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/sign-in",
    )
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    if await caller(request) is not None and request.cookies.get(SESSION_COOKIE):
        return redirect(request, _safe_next(next))
    return _form(request, next_path=_safe_next(next))


@router.post("/sign-in")
async def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    next_path = _safe_next(next)
    expected = request.cookies.get(FORM_COOKIE, "")
    if not expected or not form_token or not secrets.same(expected, form_token):
        return _form(
            request,
            next_path=next_path,
            email=email,
            error="This sign-in form had expired. Please sign in again.",
            status=400,
        )
    client = request.client.host if request.client else "unknown"
    auth = services(request).auth
    try:
        grant = await run_in_threadpool(auth.sign_in, email.strip(), password, client=client)
    except SignInThrottledError as error:
        response = _form(request, next_path=next_path, email=email, error=str(error), status=429)
        response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response
    except SignInError as error:
        return _form(request, next_path=next_path, email=email, error=str(error), status=401)
    response = redirect(request, next_path)
    response.set_cookie(
        SESSION_COOKIE,
        grant.token,
        max_age=int(SESSION_MAX.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(FORM_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await signed_in(request)  # checks the CSRF token: no signing people out from elsewhere
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(services(request).auth.sign_out, token)
    response = with_notice(redirect(request, "/sign-in"), "You are signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
