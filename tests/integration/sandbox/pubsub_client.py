"""A generic Pub/Sub API client for the tests: grpc + the generated stubs + fastavro only."""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import fastavro
import grpc

from leadbridge.pubsub_proto import pubsub_api_pb2 as pb
from leadbridge.pubsub_proto import pubsub_api_pb2_grpc as pb_grpc
from leadbridge.sandbox.pubsub import bitmaps

_END = object()


class PubSubClient:
    def __init__(
        self, endpoint: str, ca_file: str, token: str, instance_url: str, org_id: str
    ) -> None:
        with open(ca_file, "rb") as handle:
            credentials = grpc.ssl_channel_credentials(root_certificates=handle.read())
        self.channel = grpc.secure_channel(endpoint, credentials)
        self.stub = pb_grpc.PubSubStub(self.channel)  # type: ignore[no-untyped-call]
        self.metadata = (
            ("accesstoken", token),
            ("instanceurl", instance_url),
            ("tenantid", org_id),
        )
        self._schemas: dict[str, tuple[Any, dict[str, Any]]] = {}

    def close(self) -> None:
        self.channel.close()

    def topic(self, name: str) -> pb.TopicInfo:
        return self.stub.GetTopic(pb.TopicRequest(topic_name=name), metadata=self.metadata)

    def schema(self, schema_id: str) -> dict[str, Any]:
        return self._schema(schema_id)[1]

    def _schema(self, schema_id: str) -> tuple[Any, dict[str, Any]]:
        if schema_id not in self._schemas:
            info = self.stub.GetSchema(
                pb.SchemaRequest(schema_id=schema_id), metadata=self.metadata
            )
            document = json.loads(info.schema_json)
            self._schemas[schema_id] = (fastavro.parse_schema(document), document)
        return self._schemas[schema_id]

    def decode(self, event: pb.ConsumerEvent) -> dict[str, Any]:
        parsed, _ = self._schema(event.event.schema_id)
        record: dict[str, Any] = fastavro.schemaless_reader(
            io.BytesIO(event.event.payload), parsed, None
        )
        return record

    def field_names(self, schema_id: str, bitmap: list[str]) -> set[str]:
        """The field names a bitmap stands for: `Email`, `Name.FirstName`."""
        fields = self.schema(schema_id)["fields"]
        top, nested = bitmaps.decode(bitmap)
        names = set()
        for index in top:
            if index in nested:
                inner = _record_fields(self.schema(schema_id), fields[index])
                names |= {f"{fields[index]['name']}.{inner[bit]}" for bit in nested[index]}
            else:
                names.add(fields[index]["name"])
        return names

    def subscribe(
        self,
        topic: str,
        *,
        preset: int = pb.LATEST,
        replay_id: bytes = b"",
        num_requested: int = 100,
    ) -> Subscription:
        return Subscription(self, topic, preset, replay_id, num_requested)


def _record_fields(schema: dict[str, Any], field: dict[str, Any]) -> list[str]:
    """The nested record's field names (defined here or earlier in the schema)."""
    kind = field["type"][1]
    if isinstance(kind, dict):
        return [inner["name"] for inner in kind["fields"]]
    for other in schema["fields"]:
        candidate = other["type"][1] if isinstance(other["type"], list) else None
        if isinstance(candidate, dict) and candidate.get("name") == kind:
            return [inner["name"] for inner in candidate["fields"]]
    raise KeyError(kind)


class Subscription:
    """A Subscribe stream: FetchRequests in through a queue, FetchResponses out through one."""

    def __init__(
        self, client: PubSubClient, topic: str, preset: int, replay_id: bytes, num_requested: int
    ) -> None:
        self.client = client
        self.topic = topic
        self._requests: queue.Queue[Any] = queue.Queue()
        self._requests.put(
            pb.FetchRequest(
                topic_name=topic,
                replay_preset=preset,
                replay_id=replay_id,
                num_requested=num_requested,
            )
        )
        self.responses: queue.Queue[Any] = queue.Queue()
        self.call = client.stub.Subscribe(self._outgoing(), metadata=client.metadata)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _outgoing(self) -> Iterator[pb.FetchRequest]:
        while True:
            item = self._requests.get()
            if item is _END:
                return
            yield item

    def _read(self) -> None:
        try:
            for response in self.call:
                self.responses.put(response)
        except grpc.RpcError as error:
            self.responses.put(error)
        self.responses.put(_END)

    def request(self, count: int, topic: str | None = None) -> None:
        self._requests.put(pb.FetchRequest(topic_name=topic or "", num_requested=count))

    def next(self, timeout: float = 5.0) -> Any:
        """The next FetchResponse, grpc.RpcError, or None when the stream ended."""
        item = self.responses.get(timeout=timeout)
        return None if item is _END else item

    def events(
        self, count: int, timeout: float = 5.0, *, more: bool = False
    ) -> list[pb.ConsumerEvent]:
        """Exactly the next `count` events (ignoring keepalives); with `more`, asking for
        what each response delivered again (Salesforce counts at most 100 outstanding)."""
        found: list[pb.ConsumerEvent] = []
        while len(found) < count:
            response = self.next(timeout)
            if not isinstance(response, pb.FetchResponse):
                raise AssertionError(f"stream ended after {len(found)} events: {response}")
            found.extend(response.events)
            if more and response.events:
                self.request(len(response.events))
        return found

    def close(self) -> None:
        self.call.cancel()
        self._requests.put(_END)
