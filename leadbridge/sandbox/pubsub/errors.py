"""Pub/Sub API errors: a gRPC status, Salesforce's error code in the trailers, an rpc id.

Salesforce appends `rpcId: <uuid>` to every error's details and puts the error code (and the
rpc id) in the trailing metadata; clients retry on the code (docs: "Handle Errors").
"""

from __future__ import annotations

from typing import NoReturn

import grpc

AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"
REPLAY_ID_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
# Codes the sandbox names itself (docs/sandbox.md lists them).
TOPIC_NOT_FOUND = "sfdc.platform.eventbus.grpc.service.topic.not.found"
SCHEMA_NOT_FOUND = "sfdc.platform.eventbus.grpc.schema.not.found"
INVALID_REQUEST = "sfdc.platform.eventbus.grpc.subscription.fetch.invalid.request"
PUBLISH_NOT_ALLOWED = "sfdc.platform.eventbus.grpc.publish.not.allowed"
INTERNAL = "sfdc.platform.eventbus.grpc.service.internal.error"


class PubSubError(Exception):
    def __init__(self, status: grpc.StatusCode, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


def abort(context: grpc.ServicerContext, error: PubSubError, rpc_id: str) -> NoReturn:
    """End the RPC with the error (raises, as `context.abort` does)."""
    context.set_trailing_metadata((("error-code", error.error_code), ("rpc-id", rpc_id)))
    context.abort(error.status, f"{error.message} rpcId: {rpc_id}")
    raise AssertionError("grpc's abort raises")  # pragma: no cover


def internal_error() -> PubSubError:
    """A failure of the sandbox itself (logged with the rpc id)."""
    return PubSubError(grpc.StatusCode.INTERNAL, INTERNAL, "Internal error in the sandbox")
