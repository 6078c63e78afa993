"""Subscribe: replay presets, retention, flow control, batches, keepalives, gap events, speed."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from leadbridge.pubsub_proto import pubsub_api_pb2 as pb
from leadbridge.sandbox import SandboxConfig, SandboxServer
from tests.conftest import SandboxClient
from tests.integration.sandbox.conftest import select, subscribe_latest, wait_for_streams
from tests.integration.sandbox.pubsub_client import PubSubClient, Subscription

REPLAY_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"


def leads(sandbox: SandboxClient, count: int) -> list[str]:
    """`count` leads created in one transaction (the seeding path, insert_raw)."""
    rows = [{"LastName": f"Lead {n}", "Company": "Stream"} for n in range(count)]
    return sandbox.server.backend.org.insert_raw("Lead", rows)


def error_code(error: grpc.RpcError) -> str:
    return dict(error.trailing_metadata() or ())["error-code"]


def test_latest_earliest_and_custom(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    first, second, third = leads(sandbox, 3)
    latest = subscribe_latest(sandbox, pubsub, "/data/LeadChangeEvent")
    [fourth] = leads(sandbox, 1)
    [event] = latest.events(1)
    assert pubsub.decode(event)["ChangeEventHeader"]["recordIds"] == [fourth]
    latest.close()

    earliest = pubsub.subscribe("/data/LeadChangeEvent", preset=pb.EARLIEST, num_requested=4)
    events = earliest.events(4)
    record_ids = [pubsub.decode(e)["ChangeEventHeader"]["recordIds"][0] for e in events]
    assert record_ids == [first, second, third, fourth]
    earliest.close()

    after_second = pubsub.subscribe(
        "/data/LeadChangeEvent", preset=pb.CUSTOM, replay_id=events[1].replay_id, num_requested=9
    )
    response = after_second.next()
    assert [e.replay_id for e in response.events] == [events[2].replay_id, events[3].replay_id]
    assert response.latest_replay_id == events[3].replay_id
    assert response.pending_num_requested == 7
    assert sandbox.control("GET", "/cdc")["latest_replay_id"] == events[3].replay_id.hex()
    after_second.close()


def test_expired_or_malformed_replay_ids_are_corrupted(
    sandbox: SandboxClient, pubsub: PubSubClient
) -> None:
    select(sandbox, "Lead")
    leads(sandbox, 2)
    subscription = pubsub.subscribe("/data/LeadChangeEvent", preset=pb.EARLIEST, num_requested=2)
    old = subscription.events(2)[0].replay_id
    subscription.close()

    malformed = pubsub.subscribe("/data/LeadChangeEvent", preset=pb.CUSTOM, replay_id=b"\x01")
    error = malformed.next()
    assert isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_code(error) == REPLAY_CORRUPTED

    sandbox.control("POST", "/clock", {"offset_seconds": 73 * 3600})
    # sessions expire too: log in again on the org's new day
    pubsub.metadata = (("accesstoken", sandbox.token()), *pubsub.metadata[1:])
    expired = pubsub.subscribe("/data/LeadChangeEvent", preset=pb.CUSTOM, replay_id=old)
    error = expired.next()
    assert isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_code(error) == REPLAY_CORRUPTED
    assert "rpcId: " in error.details()
    assert sandbox.control("GET", "/cdc")["events"] == 0

    [newer] = leads(sandbox, 1)
    earliest = pubsub.subscribe("/data/LeadChangeEvent", preset=pb.EARLIEST, num_requested=5)
    [event] = earliest.events(1)
    assert pubsub.decode(event)["ChangeEventHeader"]["recordIds"] == [newer]
    assert event.replay_id > old  # ids never go back, even after expiry
    earliest.close()


def test_flow_control_and_batches(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    leads(sandbox, 250)
    subscription = pubsub.subscribe("/data/LeadChangeEvent", preset=pb.EARLIEST, num_requested=2)
    response = subscription.next()
    assert len(response.events) == 2 and response.pending_num_requested == 0
    with pytest.raises(TimeoutError):
        raise_if_empty(subscription, 0.3)
    subscription.request(300)  # counts as 100: Salesforce's most outstanding
    response = subscription.next()
    assert (len(response.events), response.pending_num_requested) == (100, 0)
    with pytest.raises(TimeoutError):
        raise_if_empty(subscription, 0.3)
    subscription.request(30)  # 148 left: 30, then 100, then the last 18 with 82 still wanted
    response = subscription.next()
    assert (len(response.events), response.pending_num_requested) == (30, 0)
    subscription.request(100)
    response = subscription.next()
    assert (len(response.events), response.pending_num_requested) == (100, 0)
    subscription.request(100)
    response = subscription.next()
    assert (len(response.events), response.pending_num_requested) == (18, 82)
    subscription.close()


def raise_if_empty(subscription: Subscription, seconds: float) -> None:
    try:
        item = subscription.responses.get(timeout=seconds)
    except queue.Empty:
        raise TimeoutError from None
    raise AssertionError(f"nothing was requested, yet the server sent {item}")


def test_another_topic_on_the_stream_is_refused(
    sandbox: SandboxClient, pubsub: PubSubClient
) -> None:
    select(sandbox, "Lead")
    subscription = subscribe_latest(sandbox, pubsub, "/data/LeadChangeEvent", num_requested=1)
    subscription.request(1, topic="/data/ContactChangeEvent")
    error = subscription.next()
    assert isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_all_change_events_topic_mixes_entities(
    sandbox: SandboxClient, pubsub: PubSubClient
) -> None:
    select(sandbox, "Lead", "Contact")
    subscription = subscribe_latest(sandbox, pubsub, "/data/ChangeEvents")
    leads(sandbox, 1)
    sandbox.api("POST", "/sobjects/Contact", json={"LastName": "Mixed"})
    events = subscription.events(2)
    names = [pubsub.decode(e)["ChangeEventHeader"]["entityName"] for e in events]
    assert names == ["Lead", "Contact"]
    assert events[0].event.schema_id != events[1].event.schema_id
    subscription.close()


def test_gap_and_overflow_injection(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    [lead_id] = leads(sandbox, 1)
    subscription = subscribe_latest(sandbox, pubsub, "/data/LeadChangeEvent")
    gap = sandbox.control(
        "POST",
        "/cdc/events",
        {"kind": "gap", "entity": "Lead", "record_ids": [lead_id], "change_type": "UPDATE"},
    )
    overflow = sandbox.control("POST", "/cdc/events", {"kind": "overflow", "entity": "Lead"})
    events = subscription.events(2)
    assert [e.replay_id.hex() for e in events] == [gap["replay_id"], overflow["replay_id"]]
    gap_record, overflow_record = (pubsub.decode(e) for e in events)
    assert gap_record["ChangeEventHeader"]["changeType"] == "GAP_UPDATE"
    assert gap_record["ChangeEventHeader"]["recordIds"] == [lead_id]
    assert gap_record["ChangeEventHeader"]["changedFields"] == []
    assert gap_record["Company"] is None
    header = overflow_record["ChangeEventHeader"]
    assert (header["changeType"], header["recordIds"]) == ("GAP_OVERFLOW", [])
    assert abs(header["commitTimestamp"] / 1000 - time.time()) < 60
    subscription.close()


def test_a_commit_reaches_a_waiting_subscriber_at_once(
    sandbox: SandboxClient, pubsub: PubSubClient
) -> None:
    select(sandbox, "Lead")
    subscription = subscribe_latest(sandbox, pubsub, "/data/LeadChangeEvent")
    delays = []
    for _ in range(5):
        started = time.perf_counter()
        leads(sandbox, 1)
        subscription.events(1)
        delays.append(time.perf_counter() - started)
    print(f"commit to subscriber: median {sorted(delays)[2] * 1000:.1f} ms")
    assert sorted(delays)[2] < 0.1
    subscription.close()


def test_at_most_100_events_are_outstanding_and_a_backlog_of_20000_arrives_whole(
    sandbox: SandboxClient, pubsub: PubSubClient
) -> None:
    select(sandbox, "Lead")
    count = 20_000
    leads(sandbox, count)
    subscription = pubsub.subscribe(
        "/data/LeadChangeEvent", preset=pb.EARLIEST, num_requested=count
    )
    first = subscription.next()
    assert len(first.events) == 100 and first.pending_num_requested == 0  # asked 20,000: 100
    subscription.request(100)
    received = subscription.events(count - 100, timeout=30, more=True)
    assert len({bytes(e.replay_id) for e in [*first.events, *received]}) == count
    subscription.close()


@pytest.fixture
def quick_keepalive(tmp_path: Path) -> Iterator[SandboxServer]:
    config = SandboxConfig(data_dir=tmp_path, memory=True, pubsub_keepalive_seconds=0.3)
    with SandboxServer(config) as server:
        yield server


def test_keepalive_when_nothing_happens(quick_keepalive: SandboxServer) -> None:
    client = SandboxClient(quick_keepalive)
    client.control("PUT", "/cdc", {"entities": ["Lead"]})
    org_id = client.control("GET", "")["org_id"]
    pubsub = PubSubClient(
        quick_keepalive.pubsub_endpoint, client.ca_file, client.token(), client.instance_url, org_id
    )
    try:
        [lead_id] = quick_keepalive.backend.org.insert_raw(
            "Lead", [{"LastName": "K", "Company": "K"}]
        )
        subscription = pubsub.subscribe("/data/LeadChangeEvent", preset=pb.EARLIEST)
        [event] = subscription.events(1)
        wait_for_streams(client, 1)
        started = time.monotonic()
        keepalive = subscription.next(timeout=3)
        assert time.monotonic() - started < 2  # 0.3 s after the last response
        assert isinstance(keepalive, pb.FetchResponse)
        assert list(keepalive.events) == []
        assert keepalive.latest_replay_id == event.replay_id
        assert keepalive.pending_num_requested == 99
        subscription.close()

        # the keepalive's replay id is a position to resume from
        resumed = pubsub.subscribe(
            "/data/LeadChangeEvent", preset=pb.CUSTOM, replay_id=keepalive.latest_replay_id
        )
        quick_keepalive.backend.org.update("Lead", lead_id, {"Title": "Resumed"})
        [update] = resumed.events(1)
        assert pubsub.decode(update)["Title"] == "Resumed"
        resumed.close()
    finally:
        pubsub.close()
