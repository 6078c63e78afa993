"""Per-record faults through unmodified simple-salesforce: row locks inside successful batch
replies and Bulk API 2.0 jobs (`record_lock`), and Bulk results in a shuffled order
(`bulk_shuffle`), as Salesforce may return them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from simple_salesforce import Salesforce

from tests.conftest import SandboxClient
from tests.integration.test_simple_salesforce import soap_client

LOCKED = "unable to obtain exclusive access to this record or 1 records: "


@pytest.fixture
def sf(sandbox: SandboxClient) -> Salesforce:
    return soap_client(sandbox)


def leads(count: int, prefix: str = "L") -> list[dict[str, Any]]:
    return [
        {"LastName": f"{prefix}{n}", "Company": "Co", "Email": f"{prefix.lower()}{n}@example.com"}
        for n in range(count)
    ]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def live(sf: Salesforce, object_name: str = "Lead") -> list[str]:
    answer = sf.query_all(f"SELECT LastName FROM {object_name}")
    return sorted(record["LastName"] for record in answer["records"])


def fired(sandbox: SandboxClient, kind: str) -> int:
    rules = sandbox.control("GET", "/faults")["faults"]
    return sum(int(rule["fired"]) for rule in rules if rule["kind"] == kind)


def test_a_lock_rule_for_one_object_spares_the_others(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 2, "object": "Lead"})
    records = [
        {"attributes": {"type": "Contact"}, "LastName": "C0"},
        {"attributes": {"type": "Lead"}, "LastName": "L0", "Company": "Co"},
        {"attributes": {"type": "Contact"}, "LastName": "C1"},
        {"attributes": {"type": "Lead"}, "LastName": "L1", "Company": "Co"},
        {"attributes": {"type": "Lead"}, "LastName": "L2", "Company": "Co"},
    ]
    results = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": False, "records": records}
    )
    assert [result["success"] for result in results] == [True, False, True, False, True]
    assert results[1]["errors"] == [
        {"statusCode": "UNABLE_TO_LOCK_ROW", "message": f"{LOCKED}record", "fields": []}
    ]
    assert live(sf, "Contact") == ["C0", "C1"]
    assert live(sf) == ["L2"]
    (rule,) = sandbox.control("GET", "/faults")["faults"]
    assert (rule["object"], rule["fired"], rule["next_n"]) == ("Lead", 2, 0)


def test_an_object_is_refused_for_whole_request_faults(sandbox: SandboxClient) -> None:
    response = sandbox.http.post(
        f"{sandbox.instance_url}/__sandbox__/faults",
        json={"kind": "SERVER_UNAVAILABLE", "next_n": 1, "object": "Lead"},
    )
    assert response.status_code == 400
    assert "record_lock" in response.json()[0]["message"]


def test_locked_rows_of_a_bulk_job_are_failed_results(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 3})
    (job,) = sf.bulk2.Lead.insert(records=leads(50), wait=0.05)
    assert (job["numberRecordsProcessed"], job["numberRecordsFailed"]) == (50, 3)
    failed = rows(sf.bulk2.Lead.get_failed_records(job["job_id"]))
    assert [row["sf__Error"] for row in failed] == [f"UNABLE_TO_LOCK_ROW:{LOCKED}record: --"] * 3
    assert all(row["sf__Id"] == "" for row in failed)
    locked = {row["LastName"] for row in failed}
    assert len(rows(sf.bulk2.Lead.get_successful_records(job["job_id"]))) == 47
    assert live(sf) == sorted(f"L{n}" for n in range(50) if f"L{n}" not in locked)
    assert fired(sandbox, "record_lock") == 3


def test_a_locked_bulk_update_row_names_its_record(sandbox: SandboxClient, sf: Salesforce) -> None:
    ids = sandbox.server.backend.org.insert_raw("Lead", leads(3))
    sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 1, "object": "Lead"})
    updates = [{"Id": record_id, "Title": "CTO"} for record_id in ids]
    (job,) = sf.bulk2.Lead.update(records=updates, wait=0.05)
    (row,) = rows(sf.bulk2.Lead.get_failed_records(job["job_id"]))
    assert row["Id"] == ids[0]
    assert row["sf__Error"] == f"UNABLE_TO_LOCK_ROW:{LOCKED}{ids[0]}: --"
    titles = sf.query(f"SELECT Id, Title FROM Lead WHERE Id = '{ids[0]}'")["records"]
    assert titles[0]["Title"] is None


def test_bulk_results_come_back_shuffled_and_replayable(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    def run(prefix: str) -> list[int]:
        """The upload positions of the successful result rows, in the order they came."""
        (job,) = sf.bulk2.Lead.insert(records=leads(50, prefix), wait=0.05)
        successful = rows(sf.bulk2.Lead.get_successful_records(job["job_id"]))
        again = rows(sf.bulk2.Lead.get_successful_records(job["job_id"]))
        assert again == successful  # reading the results again gives the same order
        saved = sf.query_all(f"SELECT Id, LastName FROM Lead WHERE LastName LIKE '{prefix}%'")
        names = {record["Id"]: record["LastName"] for record in saved["records"]}
        assert all(names[row["sf__Id"]] == row["LastName"] for row in successful)
        return [int(row["LastName"].removeprefix(prefix)) for row in successful]

    assert run("A") == list(range(50))  # no rule: upload order
    sandbox.control("POST", "/faults", {"kind": "bulk_shuffle", "next_n": 1, "seed": 5})
    shuffled = run("B")
    assert shuffled != list(range(50)) and sorted(shuffled) == list(range(50))
    assert run("C") == list(range(50))  # the one queued shuffle is spent
    sandbox.control("POST", "/faults", {"kind": "bulk_shuffle", "next_n": 1, "seed": 5})
    assert run("D") == shuffled  # the same seed, the same order
    assert fired(sandbox, "bulk_shuffle") == 1


def test_failed_results_are_shuffled_too(sandbox: SandboxClient, sf: Salesforce) -> None:
    sandbox.control("POST", "/faults", {"kind": "bulk_shuffle", "probability": 1.0, "seed": 3})
    records = [{"LastName": "", "Company": f"Co{n}"} for n in range(30)]
    (job,) = sf.bulk2.Lead.insert(records=records, wait=0.05)
    failed = [row["Company"] for row in rows(sf.bulk2.Lead.get_failed_records(job["job_id"]))]
    assert failed != [f"Co{n}" for n in range(30)]
    assert sorted(failed) == sorted(f"Co{n}" for n in range(30))
