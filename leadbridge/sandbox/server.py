"""The sandbox org's HTTPS server: the ASGI app, `SandboxServer` (background thread) and `serve`.

Request flow for the REST API: version check → bearer token → fault injection → API usage count
→ route. The control plane (`/__sandbox__/`) skips all of that but the routing.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .backend import SandboxBackend, SandboxConfig
from .clock import http_date
from .control import build_control_router
from .control_access import control_token_for, refused, warn_if_exposed
from .dispatch import ApiRequest, Reply
from .exceptions import SalesforceError, not_found
from .login_responses import oauth_token, soap_call
from .pubsub.origin import UI_ORIGIN, change_origin, describe
from .pubsub.server import PubSubServer
from .request_size import MAX_REQUEST_HEAD_BYTES, oversized, request_uri
from .responses import CURRENT_VERSION, OLDEST_VERSION, versions_body
from .tls import TlsFiles, ensure_certificates
from .web import WEB_PREFIX
from .web import handle as web_page

CONTROL_PREFIX = "/__sandbox__"
_DATA_PATH = re.compile(r"^/services/data/v(\d+)\.(\d)(/.*)?$", re.IGNORECASE)
_SOAP_PATH = re.compile(r"^/services/Soap/u/(\d+\.\d)", re.IGNORECASE)
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


class SandboxApp:
    """Turns HTTP requests into backend calls; framework-independent apart from `asgi()`."""

    def __init__(self, backend: SandboxBackend) -> None:
        self.backend = backend
        self.control = build_control_router()

    def asgi(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            if not request.url.path.startswith(CONTROL_PREFIX):
                scope = request.scope
                uri = request_uri(scope.get("raw_path") or b"", scope["query_string"])
                refusal = oversized(uri, scope["headers"])
                if refusal is not None:
                    return Response(
                        content=refusal.encoded(),
                        status_code=refusal.status,
                        headers={"Date": http_date(self.backend.clock.now())},
                        media_type=refusal.content_type,
                    )
            try:
                body = await request.body()
            except ClientDisconnect:  # the client went away mid-upload: nothing to apply
                return Response(status_code=400)
            headers = {key.lower(): value for key, value in request.headers.items()}
            query = dict(request.query_params)
            client_ip = request.client.host if request.client else None
            reply = await run_in_threadpool(
                self.handle, request.method, request.url.path, query, headers, body, client_ip
            )
            # Every reply carries the org's time (its own clock, which the control plane can
            # set apart from the host's), as Salesforce's replies carry Salesforce's.
            headers = {**reply.headers, "Date": http_date(self.backend.clock.now())}
            if reply.cut:
                return _CutResponse(reply.encoded(), reply.status, headers)
            return Response(
                content=reply.encoded(),
                status_code=reply.status,
                headers=headers,
                media_type=reply.content_type if reply.status != 204 else None,
            )

        return Starlette(routes=[Route("/{path:path}", endpoint, methods=_METHODS)])

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        client_ip: str | None = None,
    ) -> Reply:
        """One request; `client_ip` is the caller's address (the trusted IP ranges need it)."""
        try:
            if path.startswith(CONTROL_PREFIX):
                with change_origin(UI_ORIGIN):
                    return self._control(method, path[len(CONTROL_PREFIX) :], query, headers, body)
            if path.rstrip("/") == WEB_PREFIX or path.startswith(WEB_PREFIX + "/"):
                with change_origin(UI_ORIGIN):
                    return web_page(self.backend, method, path, query, headers, body)
            if method == "POST" and (_is_soap_login(headers) or _SOAP_PATH.match(path)):
                match = _SOAP_PATH.match(path)
                version = match.group(1) if match else "59.0"
                with change_origin(describe("soap", version, "")):
                    return soap_call(self.backend, version, body, client_ip)
            if method == "POST" and path.rstrip("/").lower() == "/services/oauth2/token":
                return oauth_token(self.backend, headers, body, client_ip)
            if path.rstrip("/").lower() == "/services/data":
                return Reply(body=versions_body())
            return self._data(method, path, query, headers, body)
        except SalesforceError as exc:
            return Reply.error(exc)

    def _control(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        denied = refused(headers, self.backend.control_token)
        if denied is not None:
            return denied
        request = ApiRequest(
            self.backend,
            method,
            path.rstrip("/"),
            "59.0",
            query,
            headers,
            body,
            user_id=self.backend.org.admin_user_id,
        )
        try:
            return self.control.dispatch(request)
        except (ValueError, TypeError) as exc:  # bad control-plane input, e.g. a negative size
            return Reply.error(SalesforceError("INVALID_INPUT", str(exc)))

    def _data(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        match = _DATA_PATH.match(path)
        if not match:
            raise not_found()
        major = int(match.group(1))
        if major < OLDEST_VERSION:
            raise SalesforceError(
                "API_DISABLED_FOR_ORG", f"API version {major}.0 is no longer supported", status=410
            )
        if major > CURRENT_VERSION:
            raise not_found()
        user_id = self._authenticate(headers)
        cut = self._inject_faults(path)
        usage = self.backend.usage.count_call()
        request = ApiRequest(
            self.backend,
            method,
            (match.group(3) or "").rstrip("/"),
            f"{major}.{match.group(2)}",
            query,
            headers,
            body,
            user_id=user_id,
        )
        origin = describe("rest", request.version, headers.get("sforce-call-options", ""))
        with change_origin(origin):
            reply = self.backend.router.dispatch(request)
        reply.headers["Sforce-Limit-Info"] = usage.header
        reply.cut = cut
        return reply

    def _authenticate(self, headers: dict[str, str]) -> str:
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in {"bearer", "oauth"} or not token:
            token = headers.get("x-sfdc-session", "")
        return self.backend.tokens.check(token.strip())

    def _inject_faults(self, path: str) -> bool:
        """Sleep and raise as the fault rules say; True when the reply is to be cut short."""
        decision = self.backend.faults.decide(path)
        if decision.latency_ms:
            time.sleep(decision.latency_ms / 1000)
        if decision.error is not None:
            if decision.error.error_code == "INVALID_SESSION_ID":
                self.backend.tokens.expire_all()
            raise decision.error
        return decision.cut


class ConnectionCutError(Exception):
    """Raised after half a reply was sent: uvicorn then closes the connection (on purpose)."""


class _CutResponse(Response):
    """Announces the whole body's length, sends half of it, then drops the connection: the
    request was applied, the client sees a truncated reply (a connection error)."""

    def __init__(self, content: bytes, status_code: int, headers: dict[str, str]) -> None:
        super().__init__(content=content, status_code=status_code, headers=headers)
        self.full_length = len(content)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (key, value) for key, value in self.raw_headers if key.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(max(self.full_length, 2)).encode()))
        status = 200 if self.status_code == 204 else self.status_code  # 204 has no body to cut
        await send({"type": "http.response.start", "status": status, "headers": headers})
        half = self.body[: self.full_length // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise ConnectionCutError("connection cut on purpose (fault injection)")


class _HideCuts(logging.Filter):
    """uvicorn logs the deliberate cut as an application error: keep it out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ConnectionCutError)


logging.getLogger("uvicorn.error").addFilter(_HideCuts())


def _is_soap_login(headers: dict[str, str]) -> bool:
    return headers.get("soapaction", "").strip('"').lower() == "login"


@dataclass(frozen=True)
class RunningSandbox:
    """What a client needs: where the org is and how to log in."""

    instance_url: str
    credentials: dict[str, str] = field(repr=False)
    tls: TlsFiles
    data_dir: Path
    warnings: tuple[str, ...] = ()  # e.g. the control plane needs a token off loopback
    pubsub_endpoint: str = ""  # the Pub/Sub API (gRPC over TLS), `localhost:PORT`

    @property
    def pubsub_port(self) -> int:
        return int(self.pubsub_endpoint.rsplit(":", 1)[1])


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class _Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close idle keep-alive connections at once: over TLS they would hold shutdown."""
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            transport = getattr(connection, "transport", None)
            if transport is not None and (cycle is None or cycle.response_complete):
                transport.abort()
        await super().shutdown(sockets)


def _uvicorn_server(app: Starlette, host: str, port: int, tls: TlsFiles) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=str(tls.cert_file),
        ssl_keyfile=str(tls.key_file),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,
        date_header=False,  # the app sends the org clock's Date, not the host's
        # room for request heads past Salesforce's 16 KB, so the app answers them 414/431
        h11_max_incomplete_event_size=4 * MAX_REQUEST_HEAD_BYTES,
    )
    return _Server(config)


def _prepare(config: SandboxConfig, host: str, port: int) -> tuple[SandboxBackend, RunningSandbox]:
    """The org and what a client needs to reach it; the Pub/Sub API gets a free port of the
    same host."""
    pubsub_port = free_port(host)
    backend = SandboxBackend(config)
    backend.control_token = control_token_for(host, config.control_token)
    hostnames = sorted({"localhost", "127.0.0.1", host} - {"0.0.0.0"})
    tls = ensure_certificates(config.data_dir, hostnames)
    display_host = "localhost" if host in {"127.0.0.1", "0.0.0.0"} else host
    instance_url = f"https://{display_host}:{port}"
    pubsub_endpoint = f"{display_host}:{pubsub_port}"
    credentials = backend.write_credentials(instance_url, tls.ca_file, pubsub_endpoint)
    warning = warn_if_exposed(host, backend.control_token, str(backend.credentials_file))
    info = RunningSandbox(
        instance_url,
        credentials,
        tls,
        config.data_dir,
        warnings=(warning,) if warning else (),
        pubsub_endpoint=pubsub_endpoint,
    )
    return backend, info


class SandboxServer:
    """Runs a sandbox org on a free port in a background thread (tests, `make run`).

    >>> with SandboxServer(SandboxConfig(data_dir=tmp, memory=True)) as sandbox:
    ...     sandbox.instance_url
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port or free_port(host)
        self.backend, self.info = _prepare(self.config, host, self.port)
        self._server = _uvicorn_server(
            SandboxApp(self.backend).asgi(), host, self.port, self.info.tls
        )
        self.pubsub = PubSubServer(self.backend, self.info.tls, host, self.info.pubsub_port)
        self._thread: threading.Thread | None = None

    @property
    def pubsub_endpoint(self) -> str:
        """Where the Pub/Sub API listens: `localhost:PORT` (gRPC over TLS, same CA)."""
        return self.info.pubsub_endpoint

    @property
    def instance_url(self) -> str:
        return self.info.instance_url

    @property
    def credentials(self) -> dict[str, str]:
        return dict(self.info.credentials)

    @property
    def ca_file(self) -> Path:
        return self.info.tls.ca_file

    def start(self) -> SandboxServer:
        self.backend.start()
        self.pubsub.start()
        self._thread = threading.Thread(target=self._server.run, name="sandbox-org", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox org did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.pubsub.stop()
        self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
        self.backend.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    config: SandboxConfig,
    host: str,
    port: int,
    on_ready: Callable[[RunningSandbox, SandboxBackend], Any] | None = None,
) -> None:
    """Run in the foreground until interrupted (the CLI's `sandbox serve`)."""
    backend, info = _prepare(config, host, port)
    pubsub = PubSubServer(backend, info.tls, host, info.pubsub_port)
    if on_ready:
        on_ready(info, backend)
    backend.start()
    pubsub.start()
    try:
        _uvicorn_server(SandboxApp(backend).asgi(), host, port, info.tls).run()
    finally:
        pubsub.stop()
        backend.close()
