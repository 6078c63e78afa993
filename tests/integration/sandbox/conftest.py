"""Fixtures for the sandbox's Pub/Sub API: a generic gRPC client on the session's sandbox."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import SandboxClient
from tests.integration.sandbox.pubsub_client import PubSubClient, Subscription


def wait_for_streams(sandbox: SandboxClient, count: int) -> None:
    """Until `count` Subscribe streams have their start position (so LATEST is fixed)."""
    deadline = time.monotonic() + 5
    while sandbox.control("GET", "/cdc")["open_streams"] < count:
        assert time.monotonic() < deadline, "the subscription did not start"
        time.sleep(0.01)


def select(sandbox: SandboxClient, *entities: str) -> None:
    sandbox.control("PUT", "/cdc", {"entities": list(entities)})


@pytest.fixture
def pubsub(sandbox: SandboxClient) -> Iterator[PubSubClient]:
    org_id = sandbox.control("GET", "")["org_id"]
    client = PubSubClient(
        sandbox.server.pubsub_endpoint,
        sandbox.ca_file,
        sandbox.token(),
        sandbox.instance_url,
        org_id,
    )
    yield client
    client.close()


def subscribe_latest(
    sandbox: SandboxClient, pubsub: PubSubClient, topic: str, num_requested: int = 100
) -> Subscription:
    already = sandbox.control("GET", "/cdc")["open_streams"]
    subscription = pubsub.subscribe(topic, num_requested=num_requested)
    wait_for_streams(sandbox, already + 1)
    return subscription
