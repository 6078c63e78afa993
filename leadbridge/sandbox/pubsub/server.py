"""The Pub/Sub API's gRPC server over TLS, with the sandbox's own certificate."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import grpc

from leadbridge.pubsub_proto import pubsub_api_pb2_grpc as pb_grpc
from leadbridge.sandbox.tls import TlsFiles

from .service import PubSubService

if TYPE_CHECKING:
    from leadbridge.sandbox.backend import SandboxBackend

_WORKERS = 32  # each Subscribe stream holds one while it is open


class PubSubServer:
    def __init__(self, backend: SandboxBackend, tls: TlsFiles, host: str, port: int) -> None:
        self.port = port
        self.service = PubSubService(backend, backend.config.pubsub_keepalive_seconds)
        self._server = grpc.server(
            ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="pubsub"),
            options=[("grpc.so_reuseport", 0)],
        )
        pb_grpc.add_PubSubServicer_to_server(self.service, self._server)  # type: ignore[no-untyped-call]
        credentials = grpc.ssl_server_credentials(
            [(tls.key_file.read_bytes(), tls.cert_file.read_bytes())]
        )
        bind_host = "[::]" if host in {"0.0.0.0", "::"} else host
        if self._server.add_secure_port(f"{bind_host}:{port}", credentials) != port:
            raise RuntimeError(f"the Pub/Sub API could not listen on port {port}")

    def start(self) -> None:
        self._server.start()

    def stop(self, grace: float = 1.0) -> None:
        self.service.stop()
        self._server.stop(grace).wait(grace + 1)
