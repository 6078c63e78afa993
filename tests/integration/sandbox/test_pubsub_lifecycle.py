"""The Pub/Sub API across the sandbox's life: a restart keeps the selection, the events and
the schemas; stopping the server ends open streams."""

from __future__ import annotations

import json
import time
from pathlib import Path

import grpc

from leadbridge.pubsub_proto import pubsub_api_pb2 as pb
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE
from tests.conftest import SandboxClient
from tests.integration.sandbox.conftest import wait_for_streams
from tests.integration.sandbox.pubsub_client import PubSubClient


def connect(server: SandboxServer) -> tuple[SandboxClient, PubSubClient]:
    client = SandboxClient(server)
    org_id = client.control("GET", "")["org_id"]
    pubsub = PubSubClient(
        server.pubsub_endpoint, client.ca_file, client.token(), client.instance_url, org_id
    )
    return client, pubsub


def test_a_restart_keeps_selection_events_and_schemas(tmp_path: Path) -> None:
    config = SandboxConfig(data_dir=tmp_path)
    with SandboxServer(config) as server:
        client, pubsub = connect(server)
        client.control("PUT", "/cdc", {"entities": ["Lead"]})
        client.api("POST", "/sobjects/Lead", json={"LastName": "Before", "Company": "Restart"})
        schema_id = pubsub.topic("/data/LeadChangeEvent").schema_id
        saved = json.loads((tmp_path / "credentials.json").read_text())
        assert saved["pubsub_endpoint"] == server.pubsub_endpoint
        pubsub.close()

    with SandboxServer(config) as server:
        client, pubsub = connect(server)
        try:
            assert client.control("GET", "/cdc")["entities"] == ["Lead"]
            client.api("POST", "/sobjects/Lead", json={"LastName": "After", "Company": "Restart"})
            subscription = pubsub.subscribe(
                "/data/LeadChangeEvent", preset=pb.EARLIEST, num_requested=2
            )
            events = subscription.events(2)
            names = [pubsub.decode(e)["Name"]["LastName"] for e in events]
            assert names == ["Before", "After"]
            assert {e.event.schema_id for e in events} == {schema_id}
            subscription.close()
        finally:
            pubsub.close()


def test_stopping_the_server_ends_open_streams(tmp_path: Path) -> None:
    server = SandboxServer(SandboxConfig(data_dir=tmp_path, memory=True)).start()
    client, pubsub = connect(server)
    try:
        subscription = pubsub.subscribe("/data/LeadChangeEvent")
        wait_for_streams(client, 1)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5
        ended = subscription.next(timeout=5)
        assert ended is None or isinstance(ended, grpc.RpcError)
    finally:
        pubsub.close()


def test_a_new_custom_field_makes_a_new_schema_and_the_old_one_stays(tmp_path: Path) -> None:
    fresh = SandboxConfig(data_dir=tmp_path, schema_file=FRESH_ORG_SCHEMA_FILE)
    with SandboxServer(fresh) as server:
        client, pubsub = connect(server)
        client.control("PUT", "/cdc", {"entities": ["Lead"]})
        client.api("POST", "/sobjects/Lead", json={"LastName": "Old", "Company": "Schema"})
        old_id = pubsub.topic("/data/LeadChangeEvent").schema_id
        pubsub.close()

    with SandboxServer(SandboxConfig(data_dir=tmp_path)) as server:  # more custom fields
        client, pubsub = connect(server)
        try:
            new_id = pubsub.topic("/data/LeadChangeEvent").schema_id
            assert new_id != old_id
            old_fields = {field["name"] for field in pubsub.schema(old_id)["fields"]}
            new_fields = {field["name"] for field in pubsub.schema(new_id)["fields"]}
            assert new_fields - old_fields >= {"LeadBridge_Prospect_Id__c"}
            path = "/sobjects/Lead/LeadBridge_Prospect_Id__c/P-9"
            client.api("PATCH", path, json={"LastName": "New", "Company": "Schema"})
            subscription = pubsub.subscribe(
                "/data/LeadChangeEvent", preset=pb.EARLIEST, num_requested=2
            )
            old_event, new_event = subscription.events(2)
            assert (old_event.event.schema_id, new_event.event.schema_id) == (old_id, new_id)
            assert pubsub.decode(old_event)["Name"]["LastName"] == "Old"
            assert pubsub.decode(new_event)["LeadBridge_Prospect_Id__c"] == "P-9"
            subscription.close()
        finally:
            pubsub.close()
