"""The public form endpoint's fast path (PostgreSQL's form intake installed).

Website form posts are the one request a busy site sends by the thousand, and on PostgreSQL
they only need to be checked and kept (automation/form_posts.py). Going through the whole
app — every middleware, FastAPI's routing, its dependency and response machinery — costs
more CPU than keeping the post. This layer, outermost of the app's own, answers
`POST /form-handlers/{public_id}` itself with the same code and defences as the route
(`forms.take_post`: the per-IP rate limit, the public id's shape, the 64 KiB body cap and
media types, the honeypot, the spool when the store is away), the same error envelope
(`errors.response_for`) and the same security headers; anything else, a host that is not
allowed (answered 400 by the full app), and every post on SQLite go through the app as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadbridge.api.errors import response_for
from leadbridge.api.forms import has_intake, take_post
from leadbridge.api.security import (
    FORM_HANDLER_CSP,
    FORM_HANDLER_PREFIX,
    add_security_headers,
    request_host_allowed,
)


class FormPostFastPath:
    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = [host.strip().lower() for host in allowed_hosts if host.strip()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._takes(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        public_id = scope["path"][len(FORM_HANDLER_PREFIX) :]
        try:
            response = JSONResponse(await take_post(request, public_id))
        except Exception as error:  # answered as the app's handlers answer it
            response = response_for(error)
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(message, FORM_HANDLER_CSP, https=https)
            await send(message)

        await response(scope, receive, with_headers)

    def _takes(self, scope: Scope) -> bool:
        """A form post this layer answers: to one handler's URL, for an allowed host, with
        the intake installed."""
        if scope["type"] != "http" or scope.get("method") != "POST":
            return False
        path = str(scope.get("path", ""))
        public_id = path[len(FORM_HANDLER_PREFIX) :]
        if not path.startswith(FORM_HANDLER_PREFIX) or not public_id or "/" in public_id:
            return False
        app = scope.get("app")
        if app is None or not has_intake(app):
            return False
        return request_host_allowed(scope, self.allowed)
