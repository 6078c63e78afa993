"""Requests and replies of the REST API, independent of the web framework, and the router.

Handlers take an `ApiRequest` and return a `Reply`. Keeping them framework-free lets the
Composite resources run subrequests through the same handlers without another HTTP round trip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .exceptions import SalesforceError, not_found

if TYPE_CHECKING:
    from .backend import SandboxBackend

JSON_TYPE = "application/json;charset=UTF-8"


@dataclass
class ApiRequest:
    backend: SandboxBackend
    method: str
    path: str  # below /services/data/vXX.X, without a trailing slash, e.g. "/sobjects/Lead"
    version: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""
    user_id: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        if not self.body:
            raise SalesforceError("JSON_PARSER_ERROR", "The request body is empty")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SalesforceError(
                "JSON_PARSER_ERROR", f"Unexpected character in the request body: {exc}"
            ) from None

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise SalesforceError(
                "JSON_PARSER_ERROR",
                "Cannot deserialize instance of the request from START_ARRAY value [line:1, "
                "column:1]",
            )
        return data


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, or str/bytes for non-JSON
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    cut: bool = False  # fault injection: drop the connection halfway through this reply

    @classmethod
    def error(cls, exc: SalesforceError) -> Reply:
        return cls(status=exc.status, body=exc.rest_body())

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


Handler = Callable[[ApiRequest], Reply]


class Router:
    """Method + path-regex routes; object and resource names match case-insensitively."""

    def __init__(self) -> None:
        self._routes: list[tuple[frozenset[str], re.Pattern[str], Handler]] = []

    def add(self, methods: str, pattern: str, handler: Handler) -> None:
        compiled = re.compile(f"^{pattern}$", re.IGNORECASE)
        self._routes.append((frozenset(methods.split()), compiled, handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        path_matched = False
        for methods, pattern, handler in self._routes:
            match = pattern.match(path)
            if not match:
                continue
            path_matched = True
            if method in methods:
                return handler, match.groupdict()
        if path_matched:
            raise SalesforceError(
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{method}' not allowed. Allowed are GET,HEAD,POST,PATCH,DELETE",
                status=405,
            )
        raise not_found()

    def dispatch(self, request: ApiRequest) -> Reply:
        try:
            handler, params = self.resolve(request.method, request.path)
            request.params = params
            return handler(request)
        except SalesforceError as exc:
            return Reply.error(exc)
