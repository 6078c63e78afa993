"""Every error the HTTP app returns has one shape:

    {"error": {"code": "required", "message": "is required", "field": "email"}}

`code` is for programs, `message` for people, `field` names the bad input (or null).
leadbridge's own errors map to statuses by kind; anything unexpected is a 500 whose details
stay in the server log.
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

logger = logging.getLogger(__name__)

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
    if isinstance(error, ConfigurationError):
        return error_response(503, "not_configured", str(error))
    if isinstance(error, CrmError):
        return error_response(502, "crm_error", str(error))
    return error_response(500, "error", str(error))


async def _leadbridge(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LeadbridgeError)
    return leadbridge_error_response(error)


async def _api(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    response = error_response(error.status, error.code, error.message, error.field)
    response.headers.update(error.headers)
    return response


async def _http(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = _HTTP_CODES.get(error.status_code, "error")
    return error_response(error.status_code, code, str(error.detail))


async def _validation(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "path")]
    field = ".".join(location) or None
    return error_response(422, "invalid", str(first.get("msg", "invalid request")), field)


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    logger.exception("unexpected error", exc_info=error, extra={"action": "api_error"})
    return error_response(500, "internal_error", "something went wrong; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LeadbridgeError, _leadbridge)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _unexpected)
