"""Errors on console pages are pages: sign-in redirects, 403 and 404 pages, a form that
expired. The API and the public form handlers keep their JSON envelope."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from leadbridge.api.auth import CsrfError
from leadbridge.errors import AccessDeniedError, LeadbridgeError, NotFoundError
from leadbridge.web.auth import SignInRequiredError, sign_in_url
from leadbridge.web.templating import render

PageHandler = Callable[[Request, Exception], Awaitable[Response]]

logger = logging.getLogger(__name__)
JSON_PATHS = ("/api/", "/form-handlers/")


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(JSON_PATHS)


def redirect(request: Request, url: str) -> Response:
    """A redirect after a POST (303), or for htmx an HX-Redirect it follows itself."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status_code=status,
    )


async def _sign_in(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequiredError)
    return redirect(request, sign_in_url(error.next_path))


async def _csrf(request: Request, error: Exception) -> Response:
    return _error_page(request, 403, "This form has expired", str(error))


def install_page_errors(app: FastAPI) -> None:
    """Page-aware handlers in front of the JSON ones `install_error_handlers` put in place."""
    json_handlers: dict[type[Exception], PageHandler] = {
        kind: cast(PageHandler, handler)
        for kind, handler in app.exception_handlers.items()
        if isinstance(kind, type)
    }

    def page_aware(kind: type[Exception]) -> PageHandler:
        async def handler(request: Request, error: Exception) -> Response:
            if not _is_page(request):
                return await json_handlers[kind](request, error)
            return _page_for(request, error)

        return handler

    app.add_exception_handler(SignInRequiredError, _sign_in)
    app.add_exception_handler(CsrfError, _csrf)
    for kind in (LeadbridgeError, HTTPException, Exception):
        app.add_exception_handler(kind, page_aware(kind))


def _page_for(request: Request, error: Exception) -> Response:
    if isinstance(error, AccessDeniedError):
        return _error_page(request, 403, "Not for your role", str(error))
    if isinstance(error, NotFoundError):
        return _error_page(request, 404, "Not found", str(error))
    if isinstance(error, HTTPException):
        status = error.status_code
        title = "Not found" if status == 404 else "Cannot do that"
        message = "There is no page at this address." if status == 404 else str(error.detail)
        return _error_page(request, status, title, message)
    if isinstance(error, LeadbridgeError):
        return _error_page(request, 400, "Cannot do that", str(error))
    logger.exception("unexpected error on a console page", exc_info=error)
    return _error_page(
        request, 500, "Something went wrong", "The error is in the server log. Try again."
    )
