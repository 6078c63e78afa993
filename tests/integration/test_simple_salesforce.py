"""Unmodified simple-salesforce against the sandbox org over real HTTPS."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from tests.conftest import SandboxClient


def host(sandbox: SandboxClient) -> str:
    return sandbox.instance_url.removeprefix("https://")


def soap_client(sandbox: SandboxClient) -> Salesforce:
    creds = sandbox.credentials
    return Salesforce(
        username=creds["username"],
        password=creds["password"],
        security_token=creds["security_token"],
        domain=f"{host(sandbox)}/services/Soap/u/59.0#",
        session=sandbox.session(),
    )


@pytest.fixture
def sf(sandbox: SandboxClient) -> Salesforce:
    return soap_client(sandbox)


def test_soap_login_through_scratch_url(sandbox: SandboxClient) -> None:
    creds = sandbox.credentials
    session_id, instance = SalesforceLogin(
        username=creds["username"],
        password=creds["password"],
        security_token=creds["security_token"],
        scratch_url=sandbox.instance_url,
        session=sandbox.session(),
    )
    assert instance == host(sandbox)
    sf = Salesforce(session_id=session_id, instance=instance, session=sandbox.session())
    assert sf.query("SELECT COUNT() FROM User")["totalSize"] >= 1


def test_soap_login_with_a_wrong_password_is_refused(sandbox: SandboxClient) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        SalesforceLogin(
            username=sandbox.credentials["username"],
            password="wrong",
            security_token="",
            scratch_url=sandbox.instance_url,
            session=sandbox.session(),
        )
    assert "INVALID_LOGIN" in str(failure.value)


def test_oauth_password_login(sandbox: SandboxClient) -> None:
    creds = sandbox.credentials
    sf = Salesforce(
        username=creds["username"],
        password=creds["password"] + creds["security_token"],
        consumer_key=creds["client_id"],
        consumer_secret=creds["client_secret"],
        domain=f"{host(sandbox)}/services/oauth2/token#",
        session=sandbox.session(),
    )
    assert sf.sf_instance == host(sandbox)
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 1


def test_oauth_client_credentials_login(sandbox: SandboxClient) -> None:
    creds = sandbox.credentials
    sf = Salesforce(
        consumer_key=creds["client_id"],
        consumer_secret=creds["client_secret"],
        domain=f"{host(sandbox)}/services/oauth2/token#",
        session=sandbox.session(),
    )
    assert sf.query("SELECT Username FROM User")["records"][0]["Username"] == creds["username"]


def test_oauth_client_credentials_with_a_wrong_secret(sandbox: SandboxClient) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(
            consumer_key=sandbox.credentials["client_id"],
            consumer_secret="nope",
            domain=f"{host(sandbox)}/services/oauth2/token#",
            session=sandbox.session(),
        )
    assert "invalid_client" in str(failure.value)


def test_query_all_reads_every_page(sandbox: SandboxClient, sf: Salesforce) -> None:
    sandbox.control("POST", "/seed", {"leads": 4500, "contacts": 5, "accounts": 2})
    first = sf.query("SELECT Id, Email FROM Lead")
    assert first["totalSize"] == 4500
    assert len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")
    everything = sf.query_all("SELECT Id, Email FROM Lead")
    ids = [record["Id"] for record in everything["records"]]
    assert len(ids) == 4500
    assert len(set(ids)) == 4500
    assert everything["records"][0]["attributes"]["type"] == "Lead"


def test_crud(sf: Salesforce) -> None:
    created = sf.Lead.create({"LastName": "Curie", "Company": "Radium", "Email": "m@curie.fr"})
    assert created["success"] is True
    lead_id = created["id"]
    assert len(lead_id) == 18 and lead_id.startswith("00Q")
    assert sf.Lead.update(lead_id, {"Title": "Physicist"}) == 204
    fetched = sf.Lead.get(lead_id, params={"fields": "Id,Title,Email"})
    assert fetched["Title"] == "Physicist"
    assert set(fetched) == {"attributes", "Id", "Title", "Email"}
    assert sf.Lead.delete(lead_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as gone:
        sf.Lead.get(lead_id)
    assert gone.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_upsert_creates_updates_and_detects_several_matches(sf: Salesforce) -> None:
    path = "LeadBridge_Prospect_Id__c/p-1"
    assert sf.Lead.upsert(path, {"LastName": "Ada", "Company": "Engines"}) == 201
    assert sf.Lead.upsert(path, {"Title": "Countess"}) == 200
    record = sf.Lead.get_by_custom_id("LeadBridge_Prospect_Id__c", "p-1")
    assert record["Title"] == "Countess"
    sf.Contact.create({"LastName": "One", "Legacy_Key__c": "k-7"})
    sf.Contact.create({"LastName": "Two", "Legacy_Key__c": "K-7"})
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Contact.upsert("Legacy_Key__c/k-7", {"Title": "x"})
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.upsert("Email/someone@example.com", {"Title": "x"})


def test_updated_and_deleted(sandbox: SandboxClient, sf: Salesforce) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    lead_id = sf.Lead.create({"LastName": "Changed", "Company": "C"})["id"]
    other_id = sf.Lead.create({"LastName": "Removed", "Company": "C"})["id"]
    sf.Lead.delete(other_id)
    end = datetime.now(UTC) + timedelta(minutes=5)
    # Salesforce ignores seconds and never covers the running minute: move past it.
    early = sf.Lead.updated(start, end)
    assert early["latestDateCovered"][17:] == "00.000+0000"
    sandbox.control("POST", "/clock", {"advance_seconds": 120})
    updated = sf.Lead.updated(start, end)
    assert updated["ids"] == [lead_id]
    deleted = sf.Lead.deleted(start, end)
    assert [record["id"] for record in deleted["deletedRecords"]] == [other_id]
    assert deleted["latestDateCovered"].endswith(":00.000+0000")
    with pytest.raises(SalesforceMalformedRequest) as window:
        sf.Lead.updated(end, start)
    assert window.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_composite_sobjects_through_restful(sf: Salesforce) -> None:
    records = [
        {
            "attributes": {"type": "Lead"},
            "LastName": f"L{i}",
            "Company": "Co",
            "Email": f"lead{i}@example.com",
        }
        for i in range(3)
    ]
    records.append({"attributes": {"type": "Lead"}, "Company": "No last name"})
    results = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": False, "records": records}
    )
    assert [result["success"] for result in results] == [True, True, True, False]
    assert results[3]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    ids = [result["id"] for result in results[:3]]
    fetched = sf.restful(
        "composite/sobjects/Lead", method="POST", json={"ids": ids, "fields": ["Id", "Email"]}
    )
    assert [record["Email"] for record in fetched] == [f"lead{i}@example.com" for i in range(3)]


def test_bulk2_insert_and_query(sf: Salesforce) -> None:
    records = [
        {"LastName": f"Bulk{i}", "Company": "Bulk Co", "Email": f"bulk{i}@example.com"}
        for i in range(50)
    ]
    records.append({"LastName": "", "Company": "Missing Name", "Email": "missing@example.com"})
    result = sf.bulk2.Lead.insert(records=records, wait=0.05)
    assert result[0]["numberRecordsProcessed"] == 51
    assert result[0]["numberRecordsFailed"] == 1
    failed = sf.bulk2.Lead.get_failed_records(result[0]["job_id"])
    assert "REQUIRED_FIELD_MISSING" in failed
    successful = list(
        csv.DictReader(io.StringIO(sf.bulk2.Lead.get_successful_records(result[0]["job_id"])))
    )
    assert len(successful) == 50 and successful[0]["sf__Created"] == "true"
    pages = list(sf.bulk2.Lead.query("SELECT Id, Email FROM Lead", max_records=20, wait=0.05))
    lines = [line for page in pages for line in page.strip().splitlines()[1:]]
    assert len(pages) == 3
    assert len(lines) == 50


def test_limits_and_api_usage(sandbox: SandboxClient, sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Lead")
    usage = sf.api_usage["api-usage"]
    assert usage.total == 100_000
    assert usage.used >= 1
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 100_000
    assert limits["DailyApiRequests"]["Remaining"] < 100_000


def test_request_limit_stops_calls(sandbox: SandboxClient, sf: Salesforce) -> None:
    sandbox.control("POST", "/usage", {"allowance": 3, "used": 3})
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Lead")
    assert refused.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    sandbox.control("POST", "/usage", {"allowance": 100_000, "used": 0})


def test_expired_session_relogs_in_on_a_password_session(sandbox: SandboxClient) -> None:
    sf = soap_client(sandbox)
    old = sf.session_id
    sandbox.control("POST", "/tokens", {"expire_all": True})
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0
    assert sf.session_id != old


def test_expired_session_raises_on_a_direct_session(sandbox: SandboxClient) -> None:
    sf = Salesforce(
        instance_url=sandbox.instance_url, session_id=sandbox.token(), session=sandbox.session()
    )
    sandbox.control("POST", "/tokens", {"expire_all": True})
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query("SELECT Id FROM Lead")
    assert expired.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"Company": "X"}, "REQUIRED_FIELD_MISSING"),
        ({"LastName": "X", "Company": "X", "FirstName": "x" * 41}, "STRING_TOO_LONG"),
        ({"LastName": "X", "Company": "X", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS"),
        (
            {"LastName": "X", "Company": "X", "Status": "Bogus"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        ),
        ({"LastName": "X", "Company": "X", "IsConverted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ({"LastName": "X", "Company": "X", "Nope__c": 1}, "INVALID_FIELD"),
        (
            {"LastName": "X", "Company": "X", "Status": "Qualified"},
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        ),
    ],
)
def test_errors_surface_as_malformed_request(
    sf: Salesforce, values: dict[str, object], code: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.Lead.create(values)
    assert error.value.content[0]["errorCode"] == code


def test_duplicate_rule_and_unique_value(sf: Salesforce) -> None:
    sf.Lead.create(
        {
            "LastName": "A",
            "Company": "C",
            "Email": "dupe@example.com",
            "LeadBridge_Prospect_Id__c": "u-1",
        }
    )
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.Lead.create({"LastName": "B", "Company": "C", "Email": "DUPE@example.com"})
    error = duplicate.value.content[0]
    assert error["errorCode"] == "DUPLICATES_DETECTED"
    assert error["duplicateResut"]["matchResults"][0]["size"] == 1
    with pytest.raises(SalesforceMalformedRequest) as unique:
        sf.Lead.create({"LastName": "B", "Company": "C", "LeadBridge_Prospect_Id__c": "U-1"})
    assert unique.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


def test_reference_and_owner_errors(sandbox: SandboxClient, sf: Salesforce) -> None:
    sandbox.control("POST", "/seed", {"leads": 1, "users": 2})
    inactive = sf.query("SELECT Id FROM User WHERE IsActive = false")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest) as owner:
        sf.Lead.create({"LastName": "X", "Company": "X", "OwnerId": inactive})
    assert owner.value.content[0]["errorCode"] == "INACTIVE_OWNER_OR_USER"
    with pytest.raises(SalesforceMalformedRequest) as reference:
        sf.Contact.create({"LastName": "X", "AccountId": "0015g0000004C91AAE"})
    assert reference.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


def test_malformed_query_and_unknown_object(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FRM Lead")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.query("SELECT Id FROM Nope__c")
    assert unknown.value.content[0]["errorCode"] == "INVALID_TYPE"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get("00Q5g0000004C91EAE")


def test_converted_lead_is_read_only(sandbox: SandboxClient, sf: Salesforce) -> None:
    lead_id = sf.Lead.create({"LastName": "Conv", "Company": "Conv Inc"})["id"]
    converted = sandbox.control("POST", "/convert", {"leadId": lead_id})
    assert converted["contactId"].startswith("003")
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.Lead.update(lead_id, {"Title": "x"})
    assert error.value.content[0]["errorCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"


def test_injected_faults_reach_the_client(sandbox: SandboxClient, sf: Salesforce) -> None:
    sandbox.control("POST", "/faults", {"kind": "SERVER_UNAVAILABLE", "next_n": 1})
    with pytest.raises(SalesforceGeneralError) as unavailable:
        sf.query("SELECT Id FROM Lead")
    assert unavailable.value.status == 503
    sandbox.control("POST", "/faults", {"kind": "UNABLE_TO_LOCK_ROW", "next_n": 1})
    with pytest.raises(SalesforceMalformedRequest) as locked:
        sf.Lead.create({"LastName": "L", "Company": "C"})
    assert locked.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0
