"""One Subscribe stream's state: where it is in the event log and how many events the client
still wants. The client's FetchRequests arrive on their own thread (`feed`); the RPC's thread
waits on the log's condition for events or demand, so a commit reaches it at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc

from leadbridge.pubsub_proto.pubsub_api_pb2 import FetchRequest

from .errors import INVALID_REQUEST, PubSubError

# Salesforce counts at most this many events requested and not yet delivered in one Subscribe
# call: asking for more is taken as asking for this many.
MAX_PENDING = 100


class Demand:
    def __init__(self, condition: threading.Condition, topic: str, first: int) -> None:
        self.condition = condition
        self.topic = topic
        self.pending = min(MAX_PENDING, max(0, first))
        self.closed = False
        self.error: PubSubError | None = None

    def feed(self, requests: Iterator[FetchRequest]) -> None:
        """Add each later FetchRequest's num_requested; another topic is an error."""
        try:
            for request in requests:
                with self.condition:
                    if request.topic_name and request.topic_name != self.topic:
                        self.error = PubSubError(
                            grpc.StatusCode.INVALID_ARGUMENT,
                            INVALID_REQUEST,
                            f"A subscription is to one topic: {self.topic}, "
                            f"not {request.topic_name}",
                        )
                        self.condition.notify_all()
                        return
                    more = max(0, request.num_requested)
                    self.pending = min(MAX_PENDING, self.pending + more)
                    self.condition.notify_all()
        except Exception:
            pass
        finally:
            self.close()

    def close(self) -> None:
        with self.condition:
            self.closed = True
            self.condition.notify_all()

    def take(self, count: int) -> int:
        """Count `count` events as sent; returns what is still pending."""
        with self.condition:
            self.pending = max(0, self.pending - count)
            return self.pending
