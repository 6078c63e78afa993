"""Change Data Capture over Salesforce's Pub/Sub API (gRPC): the `ChangeStream` port.

- `codec`: Avro payloads and the ChangeEventHeader's bitmap field lists → `ChangeEvent`;
- `stream`: the gRPC channel, session metadata, GetSchema, Subscribe with flow control, errors.
"""

from leadbridge.salesforce.pubsub.stream import DEFAULT_ENDPOINT, PubSubStream

__all__ = ["DEFAULT_ENDPOINT", "PubSubStream"]
