"""The change stream over gRPC: one channel, the session in the call metadata, flow control.

    stream = PubSubStream(endpoint, session=…, ca_file=…, objects=described)
    for batch in stream.subscribe(stored_replay_id, batch_size=500):
        apply(batch.events); store(batch.replay_id)

Every call carries `accesstoken`, `instanceurl` and `tenantid` (the org id, the part of a
session id before its "!"). Subscribe is a bidirectional stream: the first FetchRequest names
the topic and where to start (CUSTOM after a stored replay id, else LATEST); more events are
requested as the subscriber consumes them, so a slow apply slows the stream instead of filling
memory. An empty response is the server's keepalive, carrying the stream's latest position.
gRPC calls spend none of the org's REST API allowance.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import grpc

from leadbridge.errors import CrmConfigurationError, CrmError, CrmTransientError, crm_error
from leadbridge.ports import CHANGE_EVENTS_TOPIC, REPLAY_ID_EXPIRED, ChangeBatch, CrmObject
from leadbridge.pubsub_proto import pubsub_api_pb2 as pb
from leadbridge.pubsub_proto import pubsub_api_pb2_grpc as pb_grpc
from leadbridge.salesforce.pubsub.codec import EventSchema, to_event

DEFAULT_ENDPOINT = "api.pubsub.salesforce.com:7443"
MAX_REQUESTED = 100  # Salesforce's cap on the events requested and not yet delivered
_END = object()  # the stream ended without an error
_REPLAY_CODES = ("replayid",)  # Salesforce's error codes for a replay id it cannot use
_TIMEOUT = 30.0  # unary calls (GetSchema, GetTopic)
_SELECTED = (
    "SELECT SelectedEntity FROM PlatformEventChannelMember WHERE EventChannel = 'ChangeEvents'"
)


class Session(Protocol):
    """What the stream needs from the REST connection: its session, and a way to renew it."""

    def current(self) -> tuple[str, str]:
        """(access token, instance URL), logging in first if there is no session yet."""
        ...

    def renew(self) -> None: ...

    def tooling_query(self, soql: str) -> list[dict[str, Any]]: ...


class PubSubStream:
    def __init__(
        self,
        endpoint: str,
        session: Session,
        *,
        objects: Mapping[str, CrmObject],
        ca_file: str | None = None,
        topic: str = CHANGE_EVENTS_TOPIC,
    ) -> None:
        self.endpoint = endpoint
        self.session = session
        self.objects = objects
        self.topic = topic
        root = Path(ca_file).read_bytes() if ca_file else None
        self._channel = grpc.secure_channel(
            endpoint,
            grpc.ssl_channel_credentials(root_certificates=root),
            options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
        )
        self._stub = pb_grpc.PubSubStub(self._channel)  # type: ignore[no-untyped-call]
        self._schemas: dict[str, EventSchema] = {}
        self._lock = threading.Lock()

    def selected_objects(self) -> set[str]:
        rows = self.session.tooling_query(_SELECTED)
        return {_object_of(str(row.get("SelectedEntity") or "")) for row in rows} - {""}

    def subscribe(self, after: bytes | None, *, batch_size: int) -> Iterator[ChangeBatch]:
        """Start the subscription now (its first request goes at once) and return its
        batches: each holds whatever has arrived, up to `batch_size` events.

        Salesforce lets a subscription have at most 100 events requested and not yet
        delivered; a reader thread asks for more as they come and queues the responses, and
        stops asking while the queue is full, so a slow apply slows the stream."""
        requests: queue.Queue[pb.FetchRequest | None] = queue.Queue()
        first = pb.FetchRequest(topic_name=self.topic, num_requested=MAX_REQUESTED)
        if after:
            first.replay_preset, first.replay_id = pb.CUSTOM, after
        else:
            first.replay_preset = pb.LATEST
        requests.put(first)
        call = self._stub.Subscribe(_drain(requests), metadata=self._metadata())
        room = max(2, 2 * batch_size // MAX_REQUESTED)
        responses: queue.Queue[Any] = queue.Queue(maxsize=room)
        reader = threading.Thread(
            target=_read, args=(call, requests, responses), name="pubsub-reader", daemon=True
        )
        reader.start()
        return self._batches(call, requests, responses, batch_size)

    def _batches(
        self,
        call: Any,
        requests: queue.Queue[pb.FetchRequest | None],
        responses: queue.Queue[Any],
        batch_size: int,
    ) -> Iterator[ChangeBatch]:
        try:
            while True:
                arrived = [responses.get()]
                count = len(getattr(arrived[0], "events", ()))
                while count < batch_size and isinstance(arrived[-1], pb.FetchResponse):
                    try:
                        arrived.append(responses.get_nowait())
                    except queue.Empty:
                        break
                    count += len(getattr(arrived[-1], "events", ()))
                received = [r for r in arrived if isinstance(r, pb.FetchResponse)]
                if received:
                    yield self._batch(received)
                ended = arrived[-1]
                if isinstance(ended, grpc.RpcError):
                    raise self._error(ended)
                if ended is _END:
                    return
        finally:
            requests.put(None)
            call.cancel()

    def close(self) -> None:
        self._channel.close()

    def _batch(self, received: list[Any]) -> ChangeBatch:
        events = tuple(
            to_event(self._schema(item.event.schema_id), item.event.payload, self.objects)
            for response in received
            for item in response.events
        )
        last = received[-1]
        position = last.events[-1].replay_id if last.events else last.latest_replay_id
        return ChangeBatch(events, bytes(position), int(last.pending_num_requested))

    def _schema(self, schema_id: str) -> EventSchema:
        with self._lock:
            found = self._schemas.get(schema_id)
        if found is None:
            try:
                info = self._stub.GetSchema(
                    pb.SchemaRequest(schema_id=schema_id),
                    metadata=self._metadata(),
                    timeout=_TIMEOUT,
                )
            except grpc.RpcError as error:
                raise self._error(error) from None
            found = EventSchema(info.schema_json)
            with self._lock:
                self._schemas[schema_id] = found
        return found

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        token, instance_url = self.session.current()
        return (
            ("accesstoken", token),
            ("instanceurl", instance_url),
            ("tenantid", token.split("!", 1)[0]),
        )

    def _error(self, error: grpc.RpcError) -> CrmError:
        """A failed call as leadbridge's error, Salesforce's code kept in `details`."""
        status = error.code() if isinstance(error, grpc.Call) else None
        trailers = dict(error.trailing_metadata() or ()) if isinstance(error, grpc.Call) else {}
        code = str(trailers.get("error-code", ""))
        message = (error.details() if isinstance(error, grpc.Call) else None) or str(status)
        details = {"pubsub_error_code": code, "grpc_status": str(status)}
        if any(part in code for part in _REPLAY_CODES):
            return crm_error(REPLAY_ID_EXPIRED, message, details=details)
        if status == grpc.StatusCode.UNAUTHENTICATED:
            self.session.renew()  # the next subscription carries a fresh session
            return CrmTransientError("INVALID_SESSION_ID", message, details=details)
        if status in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
            return CrmConfigurationError("PUBSUB_REFUSED", message, details=details)
        return CrmTransientError("PUBSUB_UNAVAILABLE", message, details=details)


def _read(call: Any, requests: queue.Queue[Any], responses: queue.Queue[Any]) -> None:
    """The reader thread: every response into `responses` (blocking while it is full), more
    events requested as the outstanding ones arrive; then `_END`, or the call's error."""
    try:
        for response in call:
            responses.put(response)
            outstanding = response.pending_num_requested
            if outstanding <= MAX_REQUESTED // 2:
                requests.put(pb.FetchRequest(num_requested=MAX_REQUESTED - outstanding))
    except grpc.RpcError as error:
        responses.put(error)
    else:
        responses.put(_END)


def _drain(requests: queue.Queue[Any]) -> Iterator[Any]:
    """The requests of one Subscribe call, until None closes the stream's sending side."""
    while True:
        item = requests.get()
        if item is None:
            return
        yield item


def _object_of(entity: str) -> str:
    """`LeadChangeEvent` → `Lead`; `Thing__ChangeEvent` → `Thing__c`."""
    if entity.endswith("__ChangeEvent"):
        return entity[: -len("__ChangeEvent")] + "__c"
    if entity.endswith("ChangeEvent"):
        return entity[: -len("ChangeEvent")]
    return ""
