"""REST handlers through the app's request pipeline, without a network (composite, bulk, paging)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadbridge.sandbox import SandboxBackend
from leadbridge.sandbox.dispatch import Reply
from leadbridge.sandbox.server import SandboxApp


class Api:
    def __init__(self, backend: SandboxBackend) -> None:
        self.backend = backend
        self.app = SandboxApp(backend)
        self.token = backend.tokens.issue(backend.org.admin_user_id)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        query: dict[str, str] | None = None,
        version: str = "59.0",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        all_headers = {"authorization": f"Bearer {self.token}", **(headers or {})}
        return self.app.handle(
            method, f"/services/data/v{version}{path}", query or {}, all_headers, payload
        )

    def count(self, soql: str) -> int:
        reply = self.call("GET", "/query", query={"q": soql})
        assert reply.status == 200, reply.body
        return int(reply.body["totalSize"])


@pytest.fixture
def api(backend: SandboxBackend) -> Api:
    return Api(backend)


def lead(name: str, **values: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, "LastName": name, "Company": "Co", **values}


def test_every_response_carries_the_usage_header(api: Api) -> None:
    reply = api.call("GET", "/limits")
    assert reply.headers["Sforce-Limit-Info"].startswith("api-usage=1/")


def test_unknown_token_gets_the_invalid_session_array(api: Api) -> None:
    api.token = "00D!bogus"
    reply = api.call("GET", "/limits")
    assert reply.status == 401
    assert reply.body == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_retired_and_future_versions(api: Api) -> None:
    assert api.call("GET", "/limits", version="30.0").status == 410
    assert api.call("GET", "/limits", version="99.0").status == 404
    assert api.call("GET", "/limits", version="31.0").status == 200


def test_collection_all_or_none_rolls_everything_back(api: Api) -> None:
    body = {"allOrNone": True, "records": [lead("A"), lead("B"), {"attributes": {"type": "Lead"}}]}
    reply = api.call("POST", "/composite/sobjects", body)
    assert reply.status == 200
    codes = [result["errors"][0]["statusCode"] for result in reply.body]
    assert codes == ["ALL_OR_NONE_OPERATION_ROLLED_BACK"] * 2 + ["REQUIRED_FIELD_MISSING"]
    assert all(result["success"] is False and result["id"] is None for result in reply.body)
    assert api.count("SELECT COUNT() FROM Lead") == 0


def test_collection_partial_success_keeps_the_good_records(api: Api) -> None:
    body = {"allOrNone": False, "records": [lead("A"), {"attributes": {"type": "Lead"}}, lead("C")]}
    reply = api.call("POST", "/composite/sobjects", body)
    assert [result["success"] for result in reply.body] == [True, False, True]
    assert api.count("SELECT COUNT() FROM Lead") == 2
    ids = [result["id"] for result in reply.body if result["success"]]
    update = {
        "records": [
            {"attributes": {"type": "Lead"}, "id": ids[0], "Title": "T"},
            {"attributes": {"type": "Lead"}, "id": ids[1], "Email": "bad"},
        ]
    }
    updated = api.call("PATCH", "/composite/sobjects", update)
    assert [result["success"] for result in updated.body] == [True, False]
    deleted = api.call("DELETE", "/composite/sobjects", query={"ids": ",".join(ids)})
    assert [result["success"] for result in deleted.body] == [True, True]


def test_collection_upsert_by_external_id(api: Api) -> None:
    records = [lead("A", LeadBridge_Prospect_Id__c="x1"), lead("B", LeadBridge_Prospect_Id__c="x2")]
    first = api.call(
        "PATCH", "/composite/sobjects/Lead/LeadBridge_Prospect_Id__c", {"records": records}
    )
    assert [result["created"] for result in first.body] == [True, True]
    again = api.call(
        "PATCH", "/composite/sobjects/Lead/LeadBridge_Prospect_Id__c", {"records": records}
    )
    assert [result["created"] for result in again.body] == [False, False]
    assert api.count("SELECT COUNT() FROM Lead") == 2


def test_collection_refuses_more_than_200_records(api: Api) -> None:
    reply = api.call("POST", "/composite/sobjects", {"records": [lead(str(i)) for i in range(201)]})
    assert reply.status == 400
    assert reply.body[0]["errorCode"] == "EXCEEDED_MAX_SIZE_REQUEST"


def test_composite_references_and_all_or_none(api: Api) -> None:
    good = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Account",
                "referenceId": "acc",
                "body": {"Name": "Acme"},
            },
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Contact",
                "referenceId": "con",
                "body": {"LastName": "Road", "AccountId": "@{acc.id}"},
            },
            {
                "method": "GET",
                "url": "/services/data/v59.0/sobjects/Contact/@{con.id}?fields=AccountId",
                "referenceId": "read",
            },
        ],
    }
    reply = api.call("POST", "/composite", good)
    statuses = [sub["httpStatusCode"] for sub in reply.body["compositeResponse"]]
    assert statuses == [201, 201, 200]
    account_id = reply.body["compositeResponse"][0]["body"]["id"]
    assert reply.body["compositeResponse"][2]["body"]["AccountId"] == account_id
    bad = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Account",
                "referenceId": "a2",
                "body": {"Name": "Rolled back"},
            },
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Contact",
                "referenceId": "c2",
                "body": {"AccountId": "@{a2.id}"},
            },
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Account",
                "referenceId": "a3",
                "body": {"Name": "Never"},
            },
        ],
    }
    failed = api.call("POST", "/composite", bad).body["compositeResponse"]
    assert [sub["httpStatusCode"] for sub in failed] == [400, 400, 400]
    assert failed[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert failed[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert api.count("SELECT COUNT() FROM Account") == 1


def test_composite_batch_halts_on_error(api: Api) -> None:
    body = {
        "haltOnError": True,
        "batchRequests": [
            {"method": "POST", "url": "v59.0/sobjects/Lead", "richInput": {"LastName": "X"}},
            {"method": "POST", "url": "v59.0/sobjects/Lead", "richInput": lead("Y")},
        ],
    }
    reply = api.call("POST", "/composite/batch", body)
    assert reply.body["hasErrors"] is True
    assert [result["statusCode"] for result in reply.body["results"]] == [400, 412]


def test_composite_tree_is_all_or_nothing(api: Api) -> None:
    tree = {
        "records": [
            {
                "attributes": {"type": "Account", "referenceId": "r1"},
                "Name": "T",
                "Contacts": {
                    "records": [
                        {"attributes": {"type": "Contact", "referenceId": "r2"}, "LastName": "Kid"}
                    ]
                },
            }
        ]
    }
    reply = api.call("POST", "/composite/tree/Account", tree)
    assert reply.status == 201 and [r["referenceId"] for r in reply.body["results"]] == ["r1", "r2"]
    tree["records"][0]["Contacts"]["records"][0].pop("LastName")
    failed = api.call("POST", "/composite/tree/Account", tree)
    assert failed.status == 400 and failed.body["hasErrors"] is True
    assert api.count("SELECT COUNT() FROM Account") == 1


def test_bulk_ingest_state_machine(api: Api) -> None:
    created = api.call(
        "POST",
        "/jobs/ingest",
        {"object": "Lead", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"},
    )
    job_id = created.body["id"]
    assert created.body["state"] == "Open" and job_id.startswith("750")
    early = api.call("GET", f"/jobs/ingest/{job_id}/successfulResults")
    assert early.status == 409
    upload = api.call(
        "PUT",
        f"/jobs/ingest/{job_id}/batches",
        raw=b"LastName,Company,Email\nA,Co,a@example.com\nB,Co,not-an-email\n",
    )
    assert upload.status == 201
    closed = api.call("PATCH", f"/jobs/ingest/{job_id}", {"state": "UploadComplete"})
    assert closed.body["state"] == "UploadComplete"
    assert api.call("PUT", f"/jobs/ingest/{job_id}/batches", raw=b"x").status == 409
    assert api.backend.bulk.process_next() is True
    info = api.call("GET", f"/jobs/ingest/{job_id}").body
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        2,
        1,
    )
    ok = api.call("GET", f"/jobs/ingest/{job_id}/successfulResults").body
    assert ok.splitlines()[0] == '"sf__Id","sf__Created","LastName","Company","Email"'
    failed = api.call("GET", f"/jobs/ingest/{job_id}/failedResults").body
    assert "INVALID_EMAIL_ADDRESS:Email: invalid email address: not-an-email:Email --" in failed
    unprocessed = api.call("GET", f"/jobs/ingest/{job_id}/UNPROCESSEDRECORDS")
    assert unprocessed.status == 200
    assert api.call("DELETE", f"/jobs/ingest/{job_id}").status == 204


def test_bulk_abort_and_bad_jobs(api: Api) -> None:
    created = api.call("POST", "/jobs/ingest", {"object": "Lead", "operation": "insert"}).body
    aborted = api.call("PATCH", f"/jobs/ingest/{created['id']}", {"state": "Aborted"})
    assert aborted.body["state"] == "Aborted"
    again = api.call("PATCH", f"/jobs/ingest/{created['id']}", {"state": "UploadComplete"})
    assert again.status == 400
    assert api.call("POST", "/jobs/ingest", {"object": "Nope", "operation": "insert"}).status == 400
    assert (
        api.call(
            "POST",
            "/jobs/ingest",
            {"object": "Lead", "operation": "upsert", "externalIdFieldName": "Email"},
        ).status
        == 400
    )


def test_bulk_query_pages_with_locators(api: Api) -> None:
    api.backend.org.insert_raw("Lead", [{"LastName": f"L{i}", "Company": "C"} for i in range(25)])
    job = api.call(
        "POST", "/jobs/query", {"operation": "query", "query": "SELECT Id, LastName FROM Lead"}
    ).body
    assert job["state"] == "UploadComplete"
    early = api.call("GET", f"/jobs/query/{job['id']}/results")
    assert early.status == 412
    api.backend.bulk.process_next()
    first = api.call("GET", f"/jobs/query/{job['id']}/results", query={"maxRecords": "10"})
    assert first.headers["Sforce-NumberOfRecords"] == "10"
    locator = first.headers["Sforce-Locator"]
    lines = first.body.splitlines()
    assert lines[0] == '"Id","LastName"' and len(lines) == 11
    rest = api.call(
        "GET", f"/jobs/query/{job['id']}/results", query={"maxRecords": "100", "locator": locator}
    )
    assert rest.headers["Sforce-NumberOfRecords"] == "15"
    assert rest.headers["Sforce-Locator"] == "null"
    bad = api.call("POST", "/jobs/query", {"operation": "query", "query": "SELECT FROM"})
    assert bad.status == 400 and bad.body[0]["errorCode"] == "MALFORMED_QUERY"


def test_query_paging_with_batch_size_and_locators(api: Api) -> None:
    api.backend.org.insert_raw(
        "Lead", [{"LastName": f"L{i:03}", "Company": "C"} for i in range(450)]
    )
    first = api.call(
        "GET",
        "/query",
        query={"q": "SELECT Id FROM Lead"},
        headers={"sforce-query-options": "batchSize=200"},
    )
    assert len(first.body["records"]) == 200 and first.body["done"] is False
    seen = [record["Id"] for record in first.body["records"]]
    next_url = first.body["nextRecordsUrl"]
    while next_url:
        page = api.app.handle("GET", next_url, {}, {"authorization": f"Bearer {api.token}"}, b"")
        seen += [record["Id"] for record in page.body["records"]]
        next_url = page.body.get("nextRecordsUrl")
    assert len(seen) == 450 and len(set(seen)) == 450
    ordered = api.call(
        "GET", "/query", query={"q": "SELECT LastName FROM Lead ORDER BY LastName DESC LIMIT 3"}
    )
    assert [r["LastName"] for r in ordered.body["records"]] == ["L449", "L448", "L447"]
    bad = api.app.handle(
        "GET",
        "/services/data/v59.0/query/01g000000000000AAA-200",
        {},
        {"authorization": f"Bearer {api.token}"},
        b"",
    )
    assert bad.status == 400 and bad.body[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_upsert_statuses_by_version(api: Api) -> None:
    path = "/sobjects/Lead/LeadBridge_Prospect_Id__c/k1"
    assert api.call("PATCH", path, {"LastName": "A", "Company": "C"}).status == 201
    assert api.call("PATCH", path, {"Title": "B"}).status == 200
    assert api.call("PATCH", path, {"Title": "C"}, version="45.0").status == 204
    assert api.call("PATCH", "/sobjects/Lead/Nope__c/k1", {"Title": "C"}).status == 404


def test_describe_shapes(api: Api) -> None:
    described = api.call("GET", "/sobjects/Lead/describe").body
    fields = {field["name"]: field for field in described["fields"]}
    assert fields["LastName"]["nillable"] is False and fields["LastName"]["length"] == 80
    assert fields["Status"]["restrictedPicklist"] is True
    assert fields["LeadBridge_Prospect_Id__c"]["externalId"] is True
    assert fields["IsConverted"]["updateable"] is False
    assert fields["OwnerId"]["referenceTo"] == ["Group", "User"]
    assert described["keyPrefix"] == "00Q"
    names = [obj["name"] for obj in api.call("GET", "/sobjects").body["sobjects"]]
    assert {"Lead", "Contact", "Subscription__c"} <= set(names)
    assert api.call("GET", "/sobjects/Nope/describe").status == 404


def test_soap_convert_lead_and_merge(api: Api) -> None:
    org = api.backend.org
    lead_id = org.create("Lead", {"LastName": "S", "Company": "Soap"})
    envelope = (
        '<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader>'
        f"<urn:sessionId>{api.token}</urn:sessionId></urn:SessionHeader></soapenv:Header>"
        "<soapenv:Body><urn:convertLead><urn:leadConverts>"
        f"<urn:leadId>{lead_id}</urn:leadId><urn:convertedStatus>Closed - Converted"
        "</urn:convertedStatus><urn:doNotCreateOpportunity>true</urn:doNotCreateOpportunity>"
        "</urn:leadConverts></urn:convertLead></soapenv:Body></soapenv:Envelope>"
    )
    reply = api.app.handle("POST", "/services/Soap/u/59.0", {}, {}, envelope.encode())
    assert reply.status == 200
    assert b"<success>true</success>" in reply.encoded()
    assert org.retrieve("Lead", lead_id)["IsConverted"] is True


def test_count_aggregate_with_no_match(api: Api) -> None:
    reply = api.call(
        "GET", "/query", query={"q": "SELECT COUNT(Id) FROM Lead WHERE Email = 'x@y.z'"}
    )
    assert reply.status == 200
    assert reply.body["records"][0]["expr0"] == 0


def test_bad_control_plane_input_is_a_400(api: Api) -> None:
    reply = api.app.handle(
        "POST", "/__sandbox__/faults", {}, {}, b'{"kind": "SERVER_UNAVAILABLE", "probability": 2}'
    )
    assert reply.status == 400
    assert reply.body[0]["errorCode"] == "INVALID_INPUT"
