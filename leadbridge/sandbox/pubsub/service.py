# ruff: noqa: N802 - the servicer methods have gRPC's names
"""`eventbus.v1.PubSub` for the sandbox org: GetTopic, GetSchema and Subscribe to its change
event channels. Publishing is refused: change event channels are read-only."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import grpc

from leadbridge.pubsub_proto import pubsub_api_pb2 as pb
from leadbridge.pubsub_proto import pubsub_api_pb2_grpc as pb_grpc

from . import access
from .errors import (
    PUBLISH_NOT_ALLOWED,
    REPLAY_ID_CORRUPTED,
    SCHEMA_NOT_FOUND,
    TOPIC_NOT_FOUND,
    PubSubError,
    abort,
    internal_error,
)
from .log import StoredEvent, replay_bytes, replay_number
from .subscription import Demand
from .topics import ALL_CHANGES, entity_for_topic

if TYPE_CHECKING:
    from leadbridge.sandbox.backend import SandboxBackend

BATCH_SIZE = 100  # events per FetchResponse at most
_WAIT_SLICE_SECONDS = 0.5  # how often a waiting stream checks that its client is still there
_log = logging.getLogger("leadbridge.sandbox.pubsub")
_Reply = TypeVar("_Reply")


class PubSubService(pb_grpc.PubSubServicer):
    def __init__(self, backend: SandboxBackend, keepalive_seconds: float) -> None:
        self.backend = backend
        self.keepalive_seconds = keepalive_seconds
        self._stopping = False

    def stop(self) -> None:
        """End every open stream (the server is stopping)."""
        self._stopping = True
        self.backend.cdc_log.wake()

    # ------------------------------------------------------------------ helpers

    def _begin(self, method: str) -> str:
        """Count the call; returns its rpc id."""
        self.backend.pubsub_stats.called(method)
        return str(uuid.uuid4())

    def _authenticate(self, context: grpc.ServicerContext) -> None:
        backend = self.backend
        access.check(
            context.invocation_metadata(), backend.tokens, backend.instance_url, backend.org.org_id
        )

    def _unary(
        self, method: str, context: grpc.ServicerContext, work: Callable[[str], _Reply]
    ) -> _Reply:
        """Authenticate, then `work(rpc_id)`; any failure ends the call with an rpc id."""
        rpc_id = self._begin(method)
        try:
            self._authenticate(context)
            return work(rpc_id)
        except Exception as error:
            abort(context, _failure(method, rpc_id, error), rpc_id)

    def _entity(self, topic: str) -> str | None:
        """The entity of a topic (None for all change events); PubSubError when unknown."""
        if topic == ALL_CHANGES:
            return None
        obj = entity_for_topic(self.backend.schema, topic)
        if obj is None:
            raise PubSubError(
                grpc.StatusCode.NOT_FOUND, TOPIC_NOT_FOUND, f"Topic not found: {topic!r}"
            )
        return obj.name

    # ------------------------------------------------------------------ unary

    def GetTopic(self, request: pb.TopicRequest, context: grpc.ServicerContext) -> pb.TopicInfo:
        def work(rpc_id: str) -> pb.TopicInfo:
            entity = self._entity(request.topic_name)
            capture = self.backend.cdc
            if entity is None:
                entity = capture.selected[0] if capture.selected else "Lead"
            return pb.TopicInfo(
                topic_name=request.topic_name,
                tenant_guid=self.backend.org.org_id,
                can_publish=False,
                can_subscribe=True,
                schema_id=self.backend.cdc_schemas.layout(entity).schema_id,
                rpc_id=rpc_id,
            )

        return self._unary("GetTopic", context, work)

    def GetSchema(self, request: pb.SchemaRequest, context: grpc.ServicerContext) -> pb.SchemaInfo:
        def work(rpc_id: str) -> pb.SchemaInfo:
            schema_json = self.backend.cdc_schemas.schema_json(request.schema_id)
            if schema_json is None:
                raise PubSubError(
                    grpc.StatusCode.NOT_FOUND,
                    SCHEMA_NOT_FOUND,
                    f"Schema not found: {request.schema_id!r}",
                )
            return pb.SchemaInfo(
                schema_json=schema_json, schema_id=request.schema_id, rpc_id=rpc_id
            )

        return self._unary("GetSchema", context, work)

    def _refuse_publish(self, method: str, context: grpc.ServicerContext) -> None:
        def work(rpc_id: str) -> None:
            raise PubSubError(
                grpc.StatusCode.UNIMPLEMENTED,
                PUBLISH_NOT_ALLOWED,
                f"{method} is not available: change event channels can only be subscribed to",
            )

        self._unary(method, context, work)

    def Publish(self, request: pb.PublishRequest, context: grpc.ServicerContext) -> None:
        self._refuse_publish("Publish", context)

    def PublishStream(
        self, request_iterator: Iterator[pb.PublishRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.PublishResponse]:
        self._refuse_publish("PublishStream", context)
        yield from ()

    def ManagedSubscribe(
        self, request_iterator: Iterator[pb.ManagedFetchRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.ManagedFetchResponse]:
        self._refuse_publish("ManagedSubscribe", context)
        yield from ()

    # ------------------------------------------------------------------ Subscribe

    def _start_after(self, request: pb.FetchRequest) -> int:
        """The replay number the stream starts after (ReplayPreset)."""
        log = self.backend.cdc_log
        if request.replay_preset == pb.EARLIEST:
            oldest, _ = log.bounds()
            return log.tip if oldest is None else oldest - 1
        if request.replay_preset == pb.CUSTOM:
            number = replay_number(request.replay_id)
            oldest, newest = log.bounds()
            if (
                number is None
                or oldest is None
                or newest is None
                or not (oldest <= number <= newest)
            ):
                raise PubSubError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    REPLAY_ID_CORRUPTED,
                    "The Replay ID validation failed: it is malformed or outside the "
                    "retention window",
                )
            return number
        return log.tip

    def Subscribe(
        self, request_iterator: Iterator[pb.FetchRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.FetchResponse]:
        rpc_id = self._begin("Subscribe")
        try:
            yield from self._subscribe(request_iterator, context, rpc_id)
        except Exception as error:
            abort(context, _failure("Subscribe", rpc_id, error), rpc_id)

    def _subscribe(
        self,
        request_iterator: Iterator[pb.FetchRequest],
        context: grpc.ServicerContext,
        rpc_id: str,
    ) -> Iterator[pb.FetchResponse]:
        self._authenticate(context)
        try:
            first = next(request_iterator, None)
        except grpc.RpcError:  # cancelled before its first request
            return
        if first is None:
            return
        entity = self._entity(first.topic_name)
        cursor = self._start_after(first)
        demand = Demand(self.backend.cdc_log.changed, first.topic_name, first.num_requested)
        context.add_callback(demand.close)
        reader = threading.Thread(
            target=demand.feed, args=(request_iterator,), name="pubsub-requests", daemon=True
        )
        reader.start()
        self.backend.pubsub_stats.stream_opened()
        try:
            yield from self._deliver(context, rpc_id, entity, cursor, demand)
        finally:
            self.backend.pubsub_stats.stream_closed()

    def _deliver(
        self,
        context: grpc.ServicerContext,
        rpc_id: str,
        entity: str | None,
        cursor: int,
        demand: Demand,
    ) -> Iterator[pb.FetchResponse]:
        """Events while the client wants them; a keepalive after a quiet while."""
        log = self.backend.cdc_log
        deadline = time.monotonic() + self.keepalive_seconds
        while True:
            with log.changed:
                while not (demand.closed or demand.error or self._stopping):
                    if demand.pending > 0 and log.tip > cursor:
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    log.changed.wait(min(remaining, _WAIT_SLICE_SECONDS))
                    if not context.is_active():
                        demand.closed = True
                pending, failure = demand.pending, demand.error
            if failure is not None:
                raise failure
            if demand.closed or self._stopping:
                return
            tip = log.tip
            events = log.read_after(cursor, entity, min(BATCH_SIZE, pending)) if pending else []
            if pending and not events:
                cursor = max(cursor, tip)  # only other entities' events: skip past them
                if time.monotonic() < deadline:
                    continue
            if events:
                cursor = events[-1].replay
                pending = demand.take(len(events))
                yield pb.FetchResponse(
                    events=[_consumer_event(event) for event in events],
                    latest_replay_id=replay_bytes(cursor),
                    rpc_id=rpc_id,
                    pending_num_requested=pending,
                )
            else:  # keepalive: nothing to send for a while
                if not log.read_after(cursor, entity, 1):
                    cursor = max(cursor, tip)
                # a retained event's id, so that resuming from it (CUSTOM) is accepted
                position = log.newest_up_to(cursor) or cursor
                yield pb.FetchResponse(
                    latest_replay_id=replay_bytes(position),
                    rpc_id=rpc_id,
                    pending_num_requested=pending,
                )
            deadline = time.monotonic() + self.keepalive_seconds


def _consumer_event(event: StoredEvent) -> pb.ConsumerEvent:
    return pb.ConsumerEvent(
        event=pb.ProducerEvent(
            id=str(uuid.UUID(int=event.replay)), schema_id=event.schema_id, payload=event.payload
        ),
        replay_id=replay_bytes(event.replay),
    )


def _failure(method: str, rpc_id: str, error: Exception) -> PubSubError:
    """What a call that raised `error` ends with: Salesforce's error, or for a bug here an
    internal error a client can still quote (its rpc id, logged with the traceback)."""
    if isinstance(error, PubSubError):
        return error
    _log.error("Pub/Sub %s failed (rpcId: %s)", method, rpc_id, exc_info=error)
    return internal_error()
