"""Change events from every save path of the sandbox org, read back over the Pub/Sub API."""

from __future__ import annotations

from typing import Any

from leadbridge.pubsub_proto import pubsub_api_pb2 as pb
from tests.conftest import NO_DATA, SandboxClient
from tests.integration.sandbox.conftest import select
from tests.integration.sandbox.pubsub_client import PubSubClient
from tests.integration.test_simple_salesforce import soap_client


def changes(pubsub: PubSubClient, topic: str, count: int) -> list[tuple[Any, dict[str, Any]]]:
    """The first `count` retained events of a topic: (consumer event, decoded record)."""
    subscription = pubsub.subscribe(topic, preset=pb.EARLIEST, num_requested=count)
    try:
        events = subscription.events(count)
    finally:
        subscription.close()
    return [(event, pubsub.decode(event)) for event in events]


def event_count(sandbox: SandboxClient) -> int:
    return int(sandbox.control("GET", "/cdc")["events"])


def create_lead(sandbox: SandboxClient, **values: Any) -> str:
    response = sandbox.api(
        "POST", "/sobjects/Lead", json={"LastName": "Hopper", "Company": "Navy", **values}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_each_change_type_over_rest(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    token = sandbox.token()
    lead_id = create_lead(sandbox, Phone="555-0100", City="Arlington", NumberOfEmployees=12)
    response = sandbox.api(
        "PATCH",
        f"/sobjects/Lead/{lead_id}",
        token,
        json={"Phone": None, "Title": "Rear Admiral"},
        headers={"Sforce-Call-Options": "client=leadbridge-test"},
    )
    assert response.status_code == 204, response.text
    assert sandbox.api("DELETE", f"/sobjects/Lead/{lead_id}", token).status_code == 204
    sandbox.control("POST", "/undelete", {"ids": [lead_id]})

    found = changes(pubsub, "/data/LeadChangeEvent", 4)
    headers = [record["ChangeEventHeader"] for _, record in found]
    assert [h["changeType"] for h in headers] == ["CREATE", "UPDATE", "DELETE", "UNDELETE"]
    assert all(h["recordIds"] == [lead_id] for h in headers)
    assert all(h["entityName"] == "Lead" for h in headers)
    assert len({h["transactionKey"] for h in headers}) == 4
    numbers = [h["commitNumber"] for h in headers]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4

    (create_event, created), (update_event, updated), (_, deleted), (_, undeleted) = found
    schema_id = create_event.event.schema_id
    assert created["Phone"] == "555-0100"
    assert created["Address"]["City"] == "Arlington"
    assert created["NumberOfEmployees"] == 12
    assert created["Name"] == {"Salutation": None, "FirstName": None, "LastName": "Hopper"}
    assert isinstance(created["CreatedDate"], int)  # epoch milliseconds
    created_fields = pubsub.field_names(schema_id, headers[0]["changedFields"])
    assert {"Phone", "Company", "Name.LastName", "Address.City", "OwnerId"} <= created_fields
    assert "Title" not in created_fields and "Street" not in created_fields

    assert updated["Title"] == "Rear Admiral"
    assert updated["Phone"] is None and updated["Company"] is None
    assert pubsub.field_names(schema_id, headers[1]["changedFields"]) == {
        "Phone",
        "Title",
        "LastModifiedDate",
    }
    assert pubsub.field_names(schema_id, headers[1]["nulledFields"]) == {"Phone"}
    assert headers[1]["changeOrigin"] == "com/salesforce/api/rest/59.0;client=leadbridge-test"
    assert headers[1]["diffFields"] == []

    assert headers[2]["changedFields"] == [] and deleted["Company"] is None
    assert undeleted["Company"] == "Navy" and undeleted["Phone"] is None
    # the control plane acts as a rep in Salesforce's UI
    assert headers[3]["changeOrigin"] == "com/salesforce/api/soap/59.0;client=SfdcInternalAPI/"
    assert update_event.replay_id > create_event.replay_id


def test_bitmaps_are_salesforce_hex(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    lead_id = create_lead(sandbox)
    sandbox.api("PATCH", f"/sobjects/Lead/{lead_id}", json={"FirstName": "Grace"})
    [(event, record)] = changes(pubsub, "/data/LeadChangeEvent", 2)[1:]
    fields = [field["name"] for field in pubsub.schema(event.event.schema_id)["fields"]]
    name_index = fields.index("Name")
    top = int(record["ChangeEventHeader"]["changedFields"][0], 16)
    assert top == (1 << name_index) | (1 << fields.index("LastModifiedDate"))
    assert (
        record["ChangeEventHeader"]["changedFields"][1] == f"{name_index}-0x02"
    )  # FirstName: bit 1
    digits = record["ChangeEventHeader"]["changedFields"][0].removeprefix("0x")
    assert len(digits) % 2 == 0


def test_lead_conversion_is_one_transaction(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead", "Contact", "Account", "Opportunity")
    lead_id = create_lead(sandbox, FirstName="Grace", Email="grace@navy.example")
    result = sandbox.control(
        "POST", "/convert", {"leadId": lead_id, "doNotCreateOpportunity": True}
    )

    found = changes(pubsub, "/data/ChangeEvents", 4)
    records = [record for _, record in found[1:]]
    headers = [record["ChangeEventHeader"] for record in records]
    assert len({h["transactionKey"] for h in headers}) == 1
    assert sorted(h["sequenceNumber"] for h in headers) == [1, 2, 3]
    by_entity = {h["entityName"]: (h, record) for h, record in zip(headers, records, strict=True)}
    assert {name: h["changeType"] for name, (h, _) in by_entity.items()} == {
        "Lead": "UPDATE",
        "Contact": "CREATE",
        "Account": "CREATE",
    }
    lead_header, lead = by_entity["Lead"]
    assert lead["IsConverted"] is True
    assert lead["ConvertedContactId"] == result["contactId"]
    assert lead["ConvertedAccountId"] == result["accountId"]
    assert isinstance(lead["ConvertedDate"], int)
    lead_event = next(e for e, r in found[1:] if r["ChangeEventHeader"]["entityName"] == "Lead")
    lead_fields = pubsub.field_names(lead_event.event.schema_id, lead_header["changedFields"])
    assert {"IsConverted", "ConvertedDate", "ConvertedAccountId", "Status"} <= lead_fields
    assert by_entity["Contact"][1]["Name"]["FirstName"] == "Grace"


def test_lead_conversion_with_an_opportunity(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead", "Contact", "Account", "Opportunity")
    lead_id = create_lead(sandbox)
    result = sandbox.control("POST", "/convert", {"leadId": lead_id})
    assert result["opportunityId"]
    found = changes(pubsub, "/data/ChangeEvents", 5)[1:]
    types = {
        (r["ChangeEventHeader"]["entityName"], r["ChangeEventHeader"]["changeType"])
        for _, r in found
    }
    assert types == {
        ("Lead", "UPDATE"),
        ("Contact", "CREATE"),
        ("Account", "CREATE"),
        ("Opportunity", "CREATE"),
    }
    lead = next(r for _, r in found if r["ChangeEventHeader"]["entityName"] == "Lead")
    assert lead["ConvertedOpportunityId"] == result["opportunityId"]


def test_merge_deletes_the_losers(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    master = create_lead(sandbox, Email="a@navy.example")
    losers = [create_lead(sandbox, Title="Loser"), create_lead(sandbox)]
    sandbox.control(
        "POST",
        "/merge",
        {"type": "Lead", "masterId": master, "mergeIds": losers, "fields": {"Title": "Loser"}},
    )
    found = changes(pubsub, "/data/LeadChangeEvent", 6)[3:]
    by_type: dict[str, list[str]] = {}
    for _, record in found:
        header = record["ChangeEventHeader"]
        by_type.setdefault(header["changeType"], []).extend(header["recordIds"])
    assert sorted(by_type["DELETE"]) == sorted(losers)
    assert by_type["UPDATE"] == [master]
    master_update = next(r for _, r in found if r["ChangeEventHeader"]["changeType"] == "UPDATE")
    assert master_update["Title"] == "Loser"
    assert len({r["ChangeEventHeader"]["transactionKey"] for _, r in found}) == 1


def test_a_rolled_back_save_leaves_no_event(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    response = sandbox.api(
        "POST",
        "/composite/sobjects",
        json={
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Lead"}, "LastName": "Kept", "Company": "No"},
                {"attributes": {"type": "Lead"}, "Company": "No last name"},
            ],
        },
    )
    assert response.status_code == 200
    assert not any(item["success"] for item in response.json())
    assert event_count(sandbox) == 0
    create_lead(sandbox)
    [(_, record)] = changes(pubsub, "/data/LeadChangeEvent", 1)
    assert record["ChangeEventHeader"]["changeType"] == "CREATE"
    assert event_count(sandbox) == 1


def test_entities_not_selected_emit_nothing(sandbox: SandboxClient) -> None:
    select(sandbox, "Contact")
    create_lead(sandbox)
    assert event_count(sandbox) == 0
    select(sandbox)
    sandbox.api("POST", "/sobjects/Contact", json={"LastName": "Nobody"})
    assert event_count(sandbox) == 0


def test_seeded_records_and_bulk_loads_are_captured(
    sandbox: SandboxClient, pubsub: PubSubClient
) -> None:
    select(sandbox, "Lead", "Account")
    sandbox.control("POST", "/seed", {**NO_DATA, "leads": 7, "accounts": 3, "users": 1})
    assert event_count(sandbox) == 10
    found = changes(pubsub, "/data/LeadChangeEvent", 7)
    assert {r["ChangeEventHeader"]["changeType"] for _, r in found} == {"CREATE"}
    assert all(r["Company"] for _, r in found)
    accounts = changes(pubsub, "/data/AccountChangeEvent", 3)
    assert all(r["BillingAddress"] is None or "City" in r["BillingAddress"] for _, r in accounts)


def test_control_plane_selection_and_tooling_query(sandbox: SandboxClient) -> None:
    assert sandbox.control("GET", "/cdc")["entities"] == []
    select(sandbox, "Lead", "Subscription__c")
    state = sandbox.control("GET", "/cdc")
    assert state["entities"] == ["Lead", "Subscription__c"]
    assert (state["events"], state["latest_replay_id"]) == (0, None)
    refused = sandbox.http.put(
        f"{sandbox.instance_url}/__sandbox__/cdc",
        json={"entities": ["Lead", "Nope__c"]},
        headers={"X-Sandbox-Token": sandbox.credentials.get("control_token", "")},
    )
    assert refused.status_code == 400
    assert sandbox.control("GET", "/cdc")["entities"] == ["Lead", "Subscription__c"]

    used = sandbox.control("GET", "/usage")["used"]
    token = sandbox.token()
    soql = (
        "SELECT Id, EventChannel, SelectedEntity FROM PlatformEventChannelMember "
        "WHERE EventChannel = 'ChangeEvents'"
    )
    response = sandbox.api("GET", "/tooling/query/", token, params={"q": soql})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totalSize"] == 2 and body["done"] is True
    assert [r["SelectedEntity"] for r in body["records"]] == [
        "LeadChangeEvent",
        "Subscription__ChangeEvent",
    ]
    assert all(r["EventChannel"] == "ChangeEvents" for r in body["records"])
    assert all(r["attributes"]["type"] == "PlatformEventChannelMember" for r in body["records"])
    assert sandbox.control("GET", "/usage")["used"] == used + 1

    sandbox.control("POST", "/reset")
    assert sandbox.control("GET", "/cdc")["entities"] == []


def test_bulk_upsert_and_composite_tree_saves(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead", "Account")
    sf = soap_client(sandbox)
    rows = [{"LastName": f"Bulk{n}", "Company": "Bulk Co"} for n in range(3)]
    assert sf.bulk2.Lead.insert(records=rows, wait=0.05)[0]["numberRecordsFailed"] == 0
    path = "/sobjects/Lead/LeadBridge_Prospect_Id__c/P-1"
    assert sandbox.api("PATCH", path, json={"LastName": "Up", "Company": "Sert"}).status_code == 201
    assert sandbox.api("PATCH", path, json={"Title": "Upserted"}).status_code == 200
    tree = {
        "records": [
            {"attributes": {"type": "Account", "referenceId": "a1"}, "Name": "Tree Inc"},
        ]
    }
    assert sandbox.api("POST", "/composite/tree/Account", json=tree).status_code == 201

    found = changes(pubsub, "/data/ChangeEvents", 6)
    summary = [
        (r["ChangeEventHeader"]["entityName"], r["ChangeEventHeader"]["changeType"])
        for _, r in found
    ]
    assert summary == [("Lead", "CREATE")] * 4 + [("Lead", "UPDATE"), ("Account", "CREATE")]
    bulk_names = sorted(r["Name"]["LastName"] for _, r in found[:3])
    assert bulk_names == ["Bulk0", "Bulk1", "Bulk2"]
    assert found[3][1]["LeadBridge_Prospect_Id__c"] == "P-1"
    assert found[4][1]["Title"] == "Upserted"
    assert found[5][1]["Name"] == "Tree Inc"  # Account's Name is a plain field


SOAP_CONVERT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:urn="urn:partner.soap.sforce.com">
  <soapenv:Header>
    <urn:SessionHeader><urn:sessionId>{token}</urn:sessionId></urn:SessionHeader>
  </soapenv:Header>
  <soapenv:Body>
    <urn:convertLead>
      <urn:leadConverts>
        <urn:leadId>{lead_id}</urn:leadId>
        <urn:convertedStatus>Closed - Converted</urn:convertedStatus>
        <urn:doNotCreateOpportunity>true</urn:doNotCreateOpportunity>
      </urn:leadConverts>
    </urn:convertLead>
  </soapenv:Body>
</soapenv:Envelope>"""


def test_a_soap_conversion_has_a_soap_origin(sandbox: SandboxClient, pubsub: PubSubClient) -> None:
    select(sandbox, "Lead")
    lead_id = create_lead(sandbox)
    response = sandbox.http.post(
        f"{sandbox.instance_url}/services/Soap/u/59.0",
        data=SOAP_CONVERT.format(token=sandbox.token(), lead_id=lead_id),
        headers={"Content-Type": "text/xml", "SOAPAction": '""'},
    )
    assert response.status_code == 200, response.text
    [(_, update)] = changes(pubsub, "/data/LeadChangeEvent", 2)[1:]
    header = update["ChangeEventHeader"]
    assert (header["changeType"], header["changeOrigin"]) == (
        "UPDATE",
        "com/salesforce/api/soap/59.0",
    )
    assert update["IsConverted"] is True and update["Status"] == "Closed - Converted"
