"""Every error the HTTP app returns has one shape:

    {"error": {"code": "required", "message": "is required", "field": "email"}}

`code` is for programs, `message` for people, `field` names the bad input (or null).
leadbridge's own errors map to statuses by kind; Salesforce's, the database's and anything
unexpected keep their details in the server log (callers may be anonymous).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from leadbridge.automation.submissions import FormHandlerInactiveError
from leadbridge.domain.forms import SubmissionError
from leadbridge.errors import (
    AccessDeniedError,
    ConfigurationError,
    ConflictError,
    CrmError,
    InputError,
    LeadbridgeError,
    NotFoundError,
    SignInError,
)
from leadbridge.store.database import StoreTransientError

logger = logging.getLogger(__name__)
INTERNAL_MESSAGE = "something went wrong; see the server log"
_WHERE = ("body", "path", "query", "header", "cookie")  # `field` names the parameter alone

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    422: "invalid",
}


class ApiError(Exception):
    """An error raised by the HTTP layer itself (a body it cannot read, a missing token)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.headers = headers or {}
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "field": field}}, status_code=status
    )


def leadbridge_error_response(error: LeadbridgeError) -> JSONResponse:
    """Input, not-found and conflict errors say what is wrong: they are about what the caller
    sent. The others are about this server or Salesforce, and callers may be anonymous (a
    website's visitors): they get a plain sentence, and the details (a Salesforce message, a
    database error, a file path) go to the server log only."""
    if isinstance(error, SubmissionError):
        return error_response(422, error.code, error.reason, error.field)
    if isinstance(error, InputError):
        return error_response(422, "invalid", error.reason, error.item)
    if isinstance(error, FormHandlerInactiveError):
        return error_response(410, "gone", str(error))
    if isinstance(error, SignInError):
        return error_response(401, "unauthorized", str(error))
    if isinstance(error, AccessDeniedError):
        return error_response(403, "forbidden", str(error))
    if isinstance(error, NotFoundError):
        return error_response(404, "not_found", str(error))
    if isinstance(error, ConflictError):
        return error_response(409, "conflict", str(error))
    _log(error)
    if isinstance(error, StoreTransientError):
        busy = error_response(503, "busy", "the database is busy; try again in a few seconds")
        busy.headers["Retry-After"] = "5"
        return busy
    if isinstance(error, ConfigurationError):
        return error_response(503, "not_configured", "this server is not set up for that yet")
    if isinstance(error, CrmError):
        status, what = (503, "unavailable") if error.retryable else (502, "refused the request")
        return error_response(status, "crm_error", f"Salesforce {what}; see the server log")
    return error_response(500, "internal_error", INTERNAL_MESSAGE)


def _log(error: LeadbridgeError) -> None:
    logger.warning(
        "request failed: %s", error, extra={"action": "api_error", "kind": type(error).__name__}
    )


async def _leadbridge(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LeadbridgeError)
    return leadbridge_error_response(error)


async def _api(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return api_error_response(error)


def api_error_response(error: ApiError) -> JSONResponse:
    response = error_response(error.status, error.code, error.message, error.field)
    response.headers.update(error.headers)
    return response


def response_for(error: Exception) -> JSONResponse:
    """The answer the installed handlers give to `error` (for code that answers outside the
    app's routing: api/form_fast_path.py)."""
    if isinstance(error, ApiError):
        return api_error_response(error)
    if isinstance(error, LeadbridgeError):
        return leadbridge_error_response(error)
    logger.exception("unexpected error", exc_info=error, extra={"action": "api_error"})
    return error_response(500, "internal_error", INTERNAL_MESSAGE)


async def _http(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = _HTTP_CODES.get(error.status_code, "error")
    return error_response(error.status_code, code, str(error.detail))


async def _validation(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in _WHERE]
    field = ".".join(location) or None
    return error_response(422, "invalid", str(first.get("msg", "invalid request")), field)


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    logger.exception("unexpected error", exc_info=error, extra={"action": "api_error"})
    return error_response(500, "internal_error", INTERNAL_MESSAGE)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LeadbridgeError, _leadbridge)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _unexpected)
