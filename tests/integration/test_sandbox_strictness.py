"""Salesforce's limits the sandbox keeps, driven over raw HTTP and unmodified simple-salesforce:
a repeated external id in one upsert call, the 16 KB request URI, 10 open cursors per user."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceMalformedRequest

from tests.conftest import SandboxClient

KEY = "LeadBridge_Prospect_Id__c"


@pytest.fixture
def sf(sandbox: SandboxClient) -> Salesforce:
    return Salesforce(
        instance_url=sandbox.instance_url, session_id=sandbox.token(), session=sandbox.session()
    )


def lead(key: str, name: str) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, KEY: key, "LastName": name, "Company": "Co"}


def keys_in_org(sf: Salesforce) -> dict[str, str]:
    rows = sf.query_all(f"SELECT {KEY}, LastName FROM Lead")["records"]
    return {row[KEY]: row["LastName"] for row in rows if row[KEY]}


# ---------------------------------------------------------------- repeated external ids


def test_a_repeated_external_id_fails_both_records_and_spares_the_others(sf: Salesforce) -> None:
    records = [lead("k-1", "First"), lead("k-2", "Other"), lead("K-1", "Second")]
    results = sf.restful(
        f"composite/sobjects/Lead/{KEY}",
        method="PATCH",
        json={"allOrNone": False, "records": records},
    )
    assert [result["success"] for result in results] == [False, True, False]
    for index in (0, 2):
        (error,) = results[index]["errors"]
        assert error["statusCode"] == "DUPLICATE_VALUE"
        assert error["message"] == f"Duplicate external id specified: {records[index][KEY]}"
        assert error["fields"] == [KEY]
    assert results[1]["created"] is True
    assert keys_in_org(sf) == {"k-2": "Other"}


def test_a_repeated_external_id_with_all_or_none_rolls_back_everything(sf: Salesforce) -> None:
    records = [lead("k-1", "First"), lead("k-2", "Other"), lead("k-1", "Second")]
    results = sf.restful(
        f"composite/sobjects/Lead/{KEY}",
        method="PATCH",
        json={"allOrNone": True, "records": records},
    )
    codes = [result["errors"][0]["statusCode"] for result in results]
    assert codes == ["DUPLICATE_VALUE", "ALL_OR_NONE_OPERATION_ROLLED_BACK", "DUPLICATE_VALUE"]
    assert keys_in_org(sf) == {}


def test_the_same_external_id_in_two_calls_creates_then_updates(sf: Salesforce) -> None:
    path = f"composite/sobjects/Lead/{KEY}"
    first = sf.restful(path, method="PATCH", json={"records": [lead("k-1", "First")]})
    second = sf.restful(path, method="PATCH", json={"records": [lead("k-1", "Second")]})
    assert (first[0]["created"], second[0]["created"]) == (True, False)
    assert keys_in_org(sf) == {"k-1": "Second"}


def test_bulk_upsert_fails_the_rows_of_a_repeated_external_id(sf: Salesforce) -> None:
    records = [
        {KEY: "b-1", "LastName": "First", "Company": "Co"},
        {KEY: "b-2", "LastName": "Other", "Company": "Co"},
        {KEY: "b-1", "LastName": "Second", "Company": "Co"},
    ]
    (result,) = sf.bulk2.Lead.upsert(records=records, external_id_field=KEY, wait=0.05)
    assert (result["numberRecordsProcessed"], result["numberRecordsFailed"]) == (3, 1 + 1)
    failed = list(csv.DictReader(io.StringIO(sf.bulk2.Lead.get_failed_records(result["job_id"]))))
    assert sorted(row["LastName"] for row in failed) == ["First", "Second"]
    for row in failed:
        assert row["sf__Error"].startswith("DUPLICATE_VALUE:Duplicate external id specified: b-1")
    assert keys_in_org(sf) == {"b-2": "Other"}


# ---------------------------------------------------------------- request URI length


def query_url(sandbox: SandboxClient, total_length: int) -> str:
    """A query URL whose request target (path and query string) is `total_length` bytes."""
    path = "/services/data/v59.0/query?q="
    head = quote("SELECT Id FROM Lead WHERE LastName IN ('x'")
    tail = quote(")")
    filler = quote(", 'y'")
    count, rest = divmod(total_length - len(path) - len(head) - len(tail), len(filler))
    text = head + filler * count + quote(" ") * (rest // 3) + tail
    target = path + text + "+" * (rest % 3)
    assert len(target) == total_length
    return sandbox.instance_url + target


def test_a_20000_byte_uri_is_refused_with_414(sandbox: SandboxClient) -> None:
    used = sandbox.control("GET", "/usage")["used"]
    reply = sandbox.http.get(
        query_url(sandbox, 20_000), headers={"Authorization": f"Bearer {sandbox.token()}"}
    )
    assert reply.status_code == 414
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "16,384" in reply.text
    assert sandbox.control("GET", "/usage")["used"] == used  # refused before the API


def test_a_uri_of_16384_bytes_is_answered(sandbox: SandboxClient) -> None:
    headers = {"Authorization": f"Bearer {sandbox.token()}"}
    reply = sandbox.http.get(query_url(sandbox, 16_384 - 1000), headers=headers)
    assert reply.status_code == 200, reply.text
    assert sandbox.http.get(query_url(sandbox, 16_385), headers=headers).status_code == 414


def test_uri_and_headers_over_16384_bytes_are_refused_with_431(sandbox: SandboxClient) -> None:
    headers = {"Authorization": f"Bearer {sandbox.token()}", "X-Padding": "p" * 9_000}
    reply = sandbox.http.get(query_url(sandbox, 8_000), headers=headers)
    assert reply.status_code == 431


def test_simple_salesforce_sees_a_long_query_refused(sf: Salesforce) -> None:
    emails = ", ".join(f"'person{i}@example.com'" for i in range(800))
    with pytest.raises(SalesforceError) as refused:
        sf.query(f"SELECT Id FROM Lead WHERE Email IN ({emails})")
    assert refused.value.status == 414


# ---------------------------------------------------------------- open cursors


def test_an_eleventh_cursor_releases_the_oldest(sandbox: SandboxClient, sf: Salesforce) -> None:
    sandbox.server.backend.org.insert_raw(
        "Lead", [{"LastName": f"L{i}", "Company": "Co"} for i in range(30)]
    )
    sandbox.control("POST", "/queries", {"max_batch_size": 10})
    pages = [sf.query("SELECT Id FROM Lead") for _ in range(11)]
    assert all(not page["done"] for page in pages)
    with pytest.raises(SalesforceMalformedRequest) as released:
        sf.query_more(pages[0]["nextRecordsUrl"], identifier_is_url=True)
    assert released.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    second = sf.query_more(pages[1]["nextRecordsUrl"], identifier_is_url=True)
    assert len(second["records"]) == 10
    report = sandbox.control("GET", "/queries")
    assert (report["released"], report["peak_open_per_user"]) == (1, 10)


def test_cursors_read_to_the_end_are_closed(sandbox: SandboxClient, sf: Salesforce) -> None:
    sandbox.server.backend.org.insert_raw(
        "Lead", [{"LastName": f"L{i}", "Company": "Co"} for i in range(25)]
    )
    sandbox.control("POST", "/queries", {"max_batch_size": 10})
    for _ in range(15):
        assert len(sf.query_all("SELECT Id FROM Lead")["records"]) == 25
    report = sandbox.control("GET", "/queries")
    assert report == {
        "open_cursors": 0,
        "peak_open_per_user": 1,
        "released": 0,
        "max_batch_size": 10,
        "max_cursors_per_user": 10,
    }


def test_the_cursor_cap_can_be_lifted(sandbox: SandboxClient, sf: Salesforce) -> None:
    sandbox.server.backend.org.insert_raw(
        "Lead", [{"LastName": f"L{i}", "Company": "Co"} for i in range(30)]
    )
    sandbox.control("POST", "/queries", {"max_batch_size": 10, "max_cursors_per_user": 0})
    pages = [sf.query("SELECT Id FROM Lead") for _ in range(12)]
    first = sf.query_more(pages[0]["nextRecordsUrl"], identifier_is_url=True)
    assert len(first["records"]) == 10
    assert sandbox.control("GET", "/queries")["released"] == 0


def test_cursors_are_capped_per_user(sandbox: SandboxClient, sf: Salesforce) -> None:
    none = ["accounts", "contacts", "leads", "opportunities", "campaigns", "campaign_members"]
    sandbox.control("POST", "/seed", {"users": 1, "subscriptions": 0, **dict.fromkeys(none, 0)})
    backend = sandbox.server.backend
    admin = backend.org.admin_user_id
    rep = next(
        str(row[0])
        for row in backend.db.conn.execute('SELECT "Id" FROM "User" WHERE "IsActive" = 1')
        if str(row[0]) != admin
    )
    other = Salesforce(  # a token for the rep, as a JWT bearer login would give
        instance_url=sandbox.instance_url,
        session_id=backend.tokens.issue(rep),
        session=sandbox.session(),
    )
    backend.org.insert_raw("Lead", [{"LastName": f"L{i}", "Company": "Co"} for i in range(30)])
    sandbox.control("POST", "/queries", {"max_batch_size": 10})
    mine = [sf.query("SELECT Id FROM Lead") for _ in range(10)]
    theirs = [other.query("SELECT Id FROM Lead") for _ in range(10)]
    assert len(sf.query_more(mine[0]["nextRecordsUrl"], identifier_is_url=True)["records"]) == 10
    assert len(other.query_more(theirs[0]["nextRecordsUrl"], True)["records"]) == 10
    report = sandbox.control("GET", "/queries")
    assert (report["open_cursors"], report["released"]) == (20, 0)
