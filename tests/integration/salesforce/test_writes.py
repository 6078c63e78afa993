"""Batched writes against the sandbox org: composite collections, Bulk API 2.0, error groups."""

from __future__ import annotations

from leadbridge.errors import (
    CrmDataError,
    CrmDuplicateError,
    CrmGoneError,
    CrmLimitError,
)
from leadbridge.salesforce import SalesforceClient
from tests.conftest import SandboxClient
from tests.integration.salesforce.conftest import client_for, insert_leads, org_usage


def lead(i: int, **extra: object) -> dict[str, object]:
    return {"LastName": f"Lead {i}", "Company": "Co", "Email": f"w{i}@example.com", **extra}


def test_a_write_of_1000_records_takes_5_calls(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    client.connect()
    before = org_usage(sandbox)
    results = client.create("Lead", [lead(i) for i in range(1000)])
    assert org_usage(sandbox) - before == 5
    assert client.usage().calls_by_kind["create"] == 5
    assert all(result.success and result.created for result in results)
    assert len({result.id for result in results}) == 1000
    emails = {
        record["Id"]: record["Email"]
        for record in client.retrieve("Lead", [str(result.id) for result in results], ["Email"])
    }
    assert [emails[str(result.id)] for result in results] == [
        f"w{i}@example.com" for i in range(1000)
    ]
    before = org_usage(sandbox)
    updated = client.update("Lead", [{"Id": result.id, "Title": "CEO"} for result in results])
    assert org_usage(sandbox) - before == 5
    assert all(result.success and not result.created for result in updated)


def test_per_record_results_keep_request_order_and_error_groups(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    insert_leads(sandbox, [{"Email": "taken@example.com", "LeadBridge_Prospect_Id__c": "p-1"}])
    results = client.create(
        "Lead",
        [
            lead(1),
            {"Company": "No last name"},
            lead(2, Email="TAKEN@example.com"),  # the duplicate rule on Email
            lead(3, LeadBridge_Prospect_Id__c="P-1"),  # a unique field
            lead(4, FirstName="x" * 41),
            lead(5),
        ],
    )
    assert [result.success for result in results] == [True, False, False, False, False, True]
    missing, rule, unique, too_long = (results[i].errors[0] for i in range(1, 5))
    assert isinstance(missing, CrmDataError)
    assert (missing.error_code, missing.fields) == ("REQUIRED_FIELD_MISSING", ["LastName"])
    assert isinstance(rule, CrmDuplicateError) and rule.error_code == "DUPLICATES_DETECTED"
    assert isinstance(unique, CrmDuplicateError) and unique.error_code == "DUPLICATE_VALUE"
    assert isinstance(too_long, CrmDataError) and too_long.error_code == "STRING_TOO_LONG"
    assert too_long.fields == ["FirstName"]


def test_updates_of_records_that_are_gone(sandbox: SandboxClient, client: SalesforceClient) -> None:
    live, deleted, converted = insert_leads(sandbox, [{}, {}, {}])
    sandbox.control("DELETE", f"/records/Lead/{deleted}")
    sandbox.control("POST", "/convert", {"leadId": converted, "doNotCreateOpportunity": True})
    results = client.update(
        "Lead",
        [
            {"Id": live, "Title": "A"},
            {"Id": deleted, "Title": "B"},
            {"Id": converted, "Title": "C"},
        ],
    )
    assert results[0].success
    assert isinstance(results[1].errors[0], CrmGoneError)
    assert results[1].errors[0].error_code == "ENTITY_IS_DELETED"
    assert isinstance(results[2].errors[0], CrmGoneError)
    assert results[2].errors[0].error_code == "CANNOT_UPDATE_CONVERTED_LEAD"


def test_upsert_by_external_id(sandbox: SandboxClient, client: SalesforceClient) -> None:
    (existing,) = insert_leads(sandbox, [{"LeadBridge_Prospect_Id__c": "p-old"}])
    results = client.upsert(
        "Lead",
        "LeadBridge_Prospect_Id__c",
        [
            {"LeadBridge_Prospect_Id__c": "p-old", "Title": "Updated"},
            {"LeadBridge_Prospect_Id__c": "p-new", "LastName": "New", "Company": "Co"},
            {"LeadBridge_Prospect_Id__c": "p-bad", "Company": "No last name"},
        ],
    )
    assert [(result.success, result.created) for result in results] == [
        (True, False),
        (True, True),
        (False, False),
    ]
    assert results[0].id == existing
    client.create(
        "Contact",
        [{"LastName": "One", "Legacy_Key__c": "k-7"}, {"LastName": "Two", "Legacy_Key__c": "K-7"}],
    )
    (several,) = client.upsert("Contact", "Legacy_Key__c", [{"Legacy_Key__c": "k-7", "Title": "x"}])
    assert isinstance(several.errors[0], CrmDuplicateError)


def test_delete(sandbox: SandboxClient, client: SalesforceClient) -> None:
    ids = insert_leads(sandbox, [{} for _ in range(3)])
    results = client.delete([*ids, ids[0]])
    assert [result.success for result in results] == [True, True, True, False]
    assert isinstance(results[3].errors[0], CrmGoneError)
    assert client.retrieve("Lead", ids, ["Id"]) == []


def test_a_write_stopped_midway_keeps_the_saved_results(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    client.connect()
    sandbox.control("POST", "/usage", {"allowance": 2, "used": 0})
    results = client.create("Lead", [lead(i) for i in range(450)])
    assert all(result.success for result in results[:200])  # sent; usage now 1 of 2: 50 %
    assert all(not result.success for result in results[200:])  # refused by the budget
    assert {result.errors[0].error_code for result in results[200:]} == {"API_BUDGET_EXCEEDED"}
    assert {type(result.errors[0]) for result in results[200:]} == {CrmLimitError}
    assert client.usage().calls_by_kind["create"] == 1
    assert org_usage(sandbox) == 1


def test_bulk_create_update_and_upsert(sandbox: SandboxClient, client: SalesforceClient) -> None:
    records = [lead(i) for i in range(300)]
    records.insert(7, {"Company": "No last name", "Email": "nolast@example.com"})
    created = client.bulk_create("Lead", records)
    assert len(created) == 301
    assert not created[7].success
    assert created[7].errors[0].error_code == "REQUIRED_FIELD_MISSING"
    assert created[7].errors[0].fields == ["LastName"]
    saved = [result for result in created if result.success]
    assert len(saved) == 300 and all(result.created for result in saved)
    by_id = {
        record["Id"]: record["Email"]
        for record in client.retrieve("Lead", [str(result.id) for result in saved], ["Email"])
    }
    assert [by_id[str(created[i].id)] for i in (0, 6, 8, 300)] == [
        "w0@example.com",
        "w6@example.com",
        "w7@example.com",
        "w299@example.com",
    ]
    updates = [{"Id": result.id, "Title": "Bulk", "Phone": None} for result in saved[:50]]
    updates.append({"Id": "00Q5g00000ZZZZZEAA", "Title": "Nobody"})
    updated = client.bulk_update("Lead", updates)
    assert all(result.success and not result.created for result in updated[:50])
    assert not updated[50].success
    upserted = client.bulk_upsert(
        "Lead",
        "LeadBridge_Prospect_Id__c",
        [
            {"LeadBridge_Prospect_Id__c": "b-1", "LastName": "B", "Company": "C"},
            {"LeadBridge_Prospect_Id__c": "b-1", "LastName": "B", "Company": "C"},
        ],
    )
    assert [result.success for result in upserted] == [True, True]
    assert upserted[0].id == upserted[1].id


def test_large_writes_switch_to_bulk(sandbox: SandboxClient) -> None:
    with client_for(sandbox, bulk_threshold=100) as client:
        results = client.create("Lead", [lead(i) for i in range(150)])
        assert all(result.success for result in results)
        kinds = client.usage().calls_by_kind
        assert "create" not in kinds
        assert kinds["bulk"] >= 7  # create, upload, close, poll(s), three result reads
