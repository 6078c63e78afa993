"""The issue's "done when": simple-salesforce logs in, a generic gRPC client subscribes to the
lead change channel and decodes the change a REST edit made."""

from __future__ import annotations

import grpc
import pytest

from leadbridge.pubsub_proto import pubsub_api_pb2 as pb
from leadbridge.pubsub_proto import pubsub_api_pb2_grpc as pb_grpc
from tests.conftest import SandboxClient
from tests.integration.sandbox.conftest import select, wait_for_streams
from tests.integration.sandbox.pubsub_client import PubSubClient
from tests.integration.test_simple_salesforce import soap_client


def test_simple_salesforce_login_then_subscribe_and_decode_a_lead_edit(
    sandbox: SandboxClient,
) -> None:
    creds = sandbox.credentials
    sf = soap_client(sandbox)
    org_id = sf.query("SELECT Id FROM Organization")["records"][0]["Id"]
    lead_id = sf.Lead.create({"LastName": "Lovelace", "Company": "Engines"})["id"]
    select(sandbox, "Lead")
    assert creds["pubsub_endpoint"] == sandbox.server.pubsub_endpoint

    client = PubSubClient(
        creds["pubsub_endpoint"],
        sandbox.ca_file,
        sf.session_id,
        f"https://{sf.sf_instance}",
        org_id,
    )
    try:
        topic = client.topic("/data/LeadChangeEvent")
        assert (topic.tenant_guid, topic.can_subscribe, topic.can_publish) == (org_id, True, False)
        schema = client.schema(topic.schema_id)
        assert (schema["name"], schema["namespace"]) == ("LeadChangeEvent", "com.sforce.eventbus")

        subscription = client.subscribe("/data/LeadChangeEvent", num_requested=10)
        wait_for_streams(sandbox, 1)
        sf.Lead.update(lead_id, {"Email": "ada@engines.example", "FirstName": "Ada"})

        [event] = subscription.events(1)
        assert event.event.schema_id == topic.schema_id
        record = client.decode(event)
        header = record["ChangeEventHeader"]
        assert header["changeType"] == "UPDATE"
        assert header["recordIds"] == [lead_id]
        assert header["changeOrigin"].startswith("com/salesforce/api/rest/")
        assert record["Email"] == "ada@engines.example"
        assert record["Name"]["FirstName"] == "Ada"
        assert record["Company"] is None  # not changed: no value
        changed = client.field_names(event.event.schema_id, header["changedFields"])
        assert changed == {"Email", "Name.FirstName", "LastModifiedDate"}
        subscription.close()
    finally:
        client.close()


def test_the_channel_needs_the_sandbox_ca(sandbox: SandboxClient) -> None:
    channel = grpc.secure_channel(sandbox.server.pubsub_endpoint, grpc.ssl_channel_credentials())
    stub = pb_grpc.PubSubStub(channel)  # type: ignore[no-untyped-call]
    try:
        with pytest.raises(grpc.RpcError) as raised:
            stub.GetTopic(pb.TopicRequest(topic_name="/data/LeadChangeEvent"), timeout=5)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        channel.close()
