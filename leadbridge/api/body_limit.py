"""Every request body is capped while it streams in, chunked uploads included.

`BodyLimitMiddleware` wraps the ASGI `receive`: a declared Content-Length over the cap is
answered 413 before a byte is read, and a body that streams past the cap (no length, or a
lying one) stops being read at the chunk that crosses it, with the same 413 error envelope.
So memory stays bounded by the cap whatever a client sends. Routes may cap lower themselves
(the form handler reads at most 64 KiB: api/body.py).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadbridge.api.errors import ApiError, error_response

DEFAULT_MAX_BODY_BYTES = 256 * 1024
IMPORT_MAX_BODY_BYTES = 50 * 1024 * 1024 + 64 * 1024  # a 50 MB CSV and its multipart framing
IMPORT_PATH = "/api/v1/imports"
CONSOLE_IMPORT_PATH = "/imports"  # the console's upload form (leadbridge.web.imports)


class BodyTooLargeError(ApiError):
    """The body passed its cap (an ApiError, so a route that meets it answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"the body is larger than {limit} bytes")


def body_limit(path: str) -> int:
    """The cap on the body of a request to `path`."""
    uploads = (IMPORT_PATH, CONSOLE_IMPORT_PATH)
    return IMPORT_MAX_BODY_BYTES if path.rstrip("/") in uploads else DEFAULT_MAX_BODY_BYTES


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(str(scope.get("path", "")))
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _answer_too_large(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if started:
                raise
            await _answer_too_large(limit, scope, receive, send)


async def _answer_too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    error = BodyTooLargeError(limit)
    response = error_response(error.status, error.code, error.message)
    response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, receive, send)
