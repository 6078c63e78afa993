"""Bulk API 2.0 writes against the sandbox's per-record faults: results in a shuffled order
are matched to their records by key, and rows locked in a job are resent alone."""

from __future__ import annotations

from leadbridge.errors import CrmTransientError
from leadbridge.salesforce import RetryPolicy, SalesforceClient
from tests.conftest import SandboxClient
from tests.integration.salesforce.conftest import client_for


def leads(count: int) -> list[dict[str, str]]:
    return [
        {
            "LastName": f"L{n}",
            "Company": "Co",
            "Email": f"l{n}@example.com",
            "LeadBridge_Prospect_Id__c": f"key-{n}",
        }
        for n in range(count)
    ]


def emails_by_id(client: SalesforceClient) -> dict[str, str]:
    return {str(r["Id"]): str(r["Email"]) for r in client.query("SELECT Id, Email FROM Lead")}


def fired(sandbox: SandboxClient, kind: str) -> int:
    rules = sandbox.control("GET", "/faults")["faults"]
    return sum(int(rule["fired"]) for rule in rules if rule["kind"] == kind)


def test_a_shuffled_bulk_insert_maps_every_result_to_its_record(sandbox: SandboxClient) -> None:
    records = leads(60)
    with client_for(sandbox) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "bulk_shuffle", "probability": 1, "seed": 2})
        results = client.bulk_create("Lead", records)
        assert fired(sandbox, "bulk_shuffle") == 1
        assert all(result.success and result.created for result in results)
        saved = emails_by_id(client)
    assert len(saved) == 60
    assert [saved[str(result.id)] for result in results] == [r["Email"] for r in records]


def test_locked_bulk_rows_are_resent_alone(sandbox: SandboxClient) -> None:
    records = leads(50)
    with client_for(sandbox) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "bulk_shuffle", "probability": 1, "seed": 4})
        sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 3})
        results = client.bulk_create("Lead", records)
        assert all(result.success for result in results)
        # the 3 locked rows went again in one composite create (below the bulk threshold)
        assert client.usage().calls_by_kind["create"] == 1
        saved = emails_by_id(client)
    assert len(saved) == 50  # 0 duplicates: the 47 saved rows were not sent again
    assert [saved[str(result.id)] for result in results] == [r["Email"] for r in records]


def test_a_bulk_resend_above_the_threshold_is_another_job(sandbox: SandboxClient) -> None:
    records = leads(20)
    with client_for(sandbox, bulk_threshold=2) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "bulk_shuffle", "probability": 1, "seed": 6})
        sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 3, "object": "Lead"})
        results = client.upsert("Lead", "LeadBridge_Prospect_Id__c", records)
        assert all(result.success and result.created for result in results)
        assert "upsert" not in client.usage().calls_by_kind  # no composite call
        saved = emails_by_id(client)
    assert len(saved) == 20
    assert [saved[str(result.id)] for result in results] == [r["Email"] for r in records]
    jobs = sandbox.server.backend.bulk.jobs_of("ingest")
    assert sorted(job.processed for job in jobs) == [3, 20]


def test_bulk_rows_locked_on_every_try_keep_a_plain_transient_error(
    sandbox: SandboxClient,
) -> None:
    records = leads(4)
    retry = RetryPolicy(attempts=2, base=0.001, max=0.01, sleep=lambda _: None)
    with client_for(sandbox, retry=retry) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "record_lock", "probability": 1})
        results = client.bulk_create("Lead", records)
        assert client.usage().calls_by_kind["create"] == 1  # one resend, then it stops
    for result in results:
        (error,) = result.errors
        assert isinstance(error, CrmTransientError)
        assert error.error_code == "UNABLE_TO_LOCK_ROW"
        assert error.message.startswith("Salesforce still had this record locked")
        assert "after 2 tries" in error.message
