"""Who may call the Pub/Sub API, what it refuses, and that it is not REST API usage."""

from __future__ import annotations

import re

import grpc
import pytest

from leadbridge.pubsub_proto import pubsub_api_pb2 as pb
from tests.conftest import SandboxClient
from tests.integration.sandbox.conftest import select
from tests.integration.sandbox.pubsub_client import PubSubClient

AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"
RPC_ID = re.compile(r"rpcId: [0-9a-f-]{36}$")


def trailers(error: grpc.RpcError) -> dict[str, str]:
    return dict(error.trailing_metadata() or ())


@pytest.mark.parametrize(
    "broken",
    [
        {"accesstoken": "00Dnot-a-session"},
        {"accesstoken": ""},
        {"instanceurl": "https://elsewhere.example:443"},
        {"tenantid": "00D000000000000AAA"},
        {"tenantid": "not an id"},
    ],
)
def test_bad_credentials_are_unauthenticated(
    sandbox: SandboxClient, pubsub: PubSubClient, broken: dict[str, str]
) -> None:
    pubsub.metadata = tuple((key, broken.get(key, value)) for key, value in pubsub.metadata)
    with pytest.raises(grpc.RpcError) as raised:
        pubsub.topic("/data/LeadChangeEvent")
    error = raised.value
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert trailers(error)["error-code"] == AUTH_ERROR
    assert RPC_ID.search(error.details())

    subscription = pubsub.subscribe("/data/LeadChangeEvent")
    refused = subscription.next()
    assert isinstance(refused, grpc.RpcError)
    assert refused.code() == grpc.StatusCode.UNAUTHENTICATED


def test_an_expired_session_is_unauthenticated(
    sandbox: SandboxClient, pubsub: PubSubClient
) -> None:
    sandbox.control("POST", "/tokens", {"expire_all": True})
    with pytest.raises(grpc.RpcError) as raised:
        pubsub.topic("/data/LeadChangeEvent")
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_instance_url_may_be_given_without_scheme_or_with_the_ip(
    sandbox: SandboxClient, pubsub: PubSubClient
) -> None:
    port = sandbox.instance_url.rsplit(":", 1)[1]
    for url in (f"localhost:{port}", f"https://127.0.0.1:{port}/"):
        pubsub.metadata = tuple(
            (key, url if key == "instanceurl" else value) for key, value in pubsub.metadata
        )
        assert pubsub.topic("/data/LeadChangeEvent").can_subscribe


def test_topics_and_schemas(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Contact")
    org_id = sandbox.control("GET", "")["org_id"]
    everything = pubsub.topic("/data/ChangeEvents")
    assert (everything.topic_name, everything.tenant_guid) == ("/data/ChangeEvents", org_id)
    assert everything.rpc_id
    custom = pubsub.topic("/data/Subscription__ChangeEvent")
    schema = pubsub.schema(custom.schema_id)
    assert schema["name"] == "Subscription__ChangeEvent"
    assert len(custom.schema_id) == 22
    contact = pubsub.schema(pubsub.topic("/data/ContactChangeEvent").schema_id)
    names = [field["name"] for field in contact["fields"]]
    assert names[0] == "ChangeEventHeader"
    assert {"Name", "MailingAddress", "AccountId"} <= set(names)
    assert not {"FirstName", "MailingCity", "Id", "IsDeleted"} & set(names)
    account = pubsub.schema(pubsub.topic("/data/AccountChangeEvent").schema_id)
    kinds = {field["name"]: field["type"] for field in account["fields"]}
    assert kinds["BillingAddress"][1]["name"] == "Address"
    assert kinds["ShippingAddress"] == ["null", "Address"]  # the named type, defined once
    assert kinds["AnnualRevenue"] == ["null", "double"]
    assert kinds["CreatedDate"] == ["null", "long"]

    for topic in ("/data/NopeChangeEvent", "/event/Something__e", "/data/LeadHistoryChangeEvent"):
        with pytest.raises(grpc.RpcError) as raised:
            pubsub.topic(topic)
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
        assert trailers(raised.value)["error-code"].startswith("sfdc.platform.eventbus.grpc.")
        assert RPC_ID.search(raised.value.details())
    with pytest.raises(grpc.RpcError) as raised:
        pubsub.schema("no-such-schema")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    unknown = pubsub.subscribe("/data/NopeChangeEvent")
    error = unknown.next()
    assert isinstance(error, grpc.RpcError) and error.code() == grpc.StatusCode.NOT_FOUND


def test_publishing_is_refused(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        pubsub.stub.Publish(
            pb.PublishRequest(topic_name="/data/LeadChangeEvent"), metadata=pubsub.metadata
        )
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert RPC_ID.search(raised.value.details())


def test_rpc_calls_are_not_api_usage(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    used = sandbox.control("GET", "/usage")["used"]
    before = sandbox.control("GET", "/cdc")["rpc_calls"]
    topic = pubsub.topic("/data/LeadChangeEvent")
    pubsub.schema(topic.schema_id)
    subscription = pubsub.subscribe("/data/LeadChangeEvent", preset=pb.EARLIEST)
    subscription.close()
    assert sandbox.control("GET", "/usage")["used"] == used
    after = sandbox.control("GET", "/cdc")["rpc_calls"]
    assert after["GetTopic"] == before.get("GetTopic", 0) + 1
    assert after["GetSchema"] == before.get("GetSchema", 0) + 1


def test_a_failure_inside_the_sandbox_still_has_an_rpc_id(
    sandbox: SandboxClient, pubsub: PubSubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(schema_id: str) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sandbox.server.backend.cdc_schemas, "schema_json", broken)
    with pytest.raises(grpc.RpcError) as raised:
        pubsub.schema("anything")
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert RPC_ID.search(raised.value.details())
    assert trailers(raised.value)["error-code"].startswith("sfdc.platform.eventbus.grpc.")
