"""Retries, session renewal and the limit stops, driven by the sandbox's fault injection."""

from __future__ import annotations

import time

import pytest

from leadbridge.errors import CrmConfigurationError, CrmLimitError, CrmTransientError
from leadbridge.salesforce import RetryPolicy, SalesforceClient
from tests.conftest import SandboxClient
from tests.integration.salesforce.conftest import client_for, insert_leads, org_usage
from tests.integration.salesforce.test_login import jwt_client, soap_client


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(min(seconds, 0.005))


def fired(sandbox: SandboxClient, kind: str) -> int:
    rules = sandbox.control("GET", "/faults")["faults"]
    return sum(int(rule["fired"]) for rule in rules if rule["kind"] == kind)


def client_with_sleep(
    sandbox: SandboxClient, sleep: RecordingSleep, attempts: int = 4
) -> SalesforceClient:
    return client_for(
        sandbox, retry=RetryPolicy(attempts=attempts, base=0.01, max=0.05, sleep=sleep)
    )


def test_server_unavailable_is_retried_with_backoff(sandbox: SandboxClient) -> None:
    insert_leads(sandbox, [{"Email": "x@example.com"}])
    sleep = RecordingSleep()
    with client_with_sleep(sandbox, sleep) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "SERVER_UNAVAILABLE", "next_n": 2})
        found = client.find_by_emails("Lead", ["x@example.com"], ["Email"])
    assert [record["Email"] for record in found] == ["x@example.com"]
    assert fired(sandbox, "SERVER_UNAVAILABLE") == 2
    assert len(sleep.waits) == 2
    assert 0.01 <= sleep.waits[0] <= 0.02  # base, plus up to `base` of jitter
    assert 0.02 <= sleep.waits[1] <= 0.03  # 2 * base, plus jitter
    assert client.usage().calls_by_kind["query"] == 3


def test_a_locked_row_is_retried_and_the_record_saved_once(sandbox: SandboxClient) -> None:
    sleep = RecordingSleep()
    with client_with_sleep(sandbox, sleep) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "UNABLE_TO_LOCK_ROW", "next_n": 2})
        (result,) = client.create("Lead", [{"LastName": "Locked", "Company": "Co"}])
        assert result.success
        assert len(sleep.waits) == 2
        assert [record["LastName"] for record in client.query("SELECT LastName FROM Lead")] == [
            "Locked"
        ]


def test_retries_give_up_after_the_last_attempt(sandbox: SandboxClient) -> None:
    sleep = RecordingSleep()
    with client_with_sleep(sandbox, sleep, attempts=3) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "SERVER_UNAVAILABLE", "next_n": 5})
        with pytest.raises(CrmTransientError) as failure:
            list(client.query("SELECT Id FROM Lead"))
    assert failure.value.error_code == "SERVER_UNAVAILABLE"
    assert failure.value.status == 503
    assert fired(sandbox, "SERVER_UNAVAILABLE") == 3
    assert len(sleep.waits) == 2


def test_a_timeout_is_retried(sandbox: SandboxClient) -> None:
    with client_for(sandbox, timeout=0.2) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "latency", "next_n": 1, "latency_ms": 600})
        assert list(client.query("SELECT Id FROM Lead")) == []
        assert client.usage().calls_by_kind["query"] == 2


def test_a_create_whose_reply_is_lost_is_not_replayed(sandbox: SandboxClient) -> None:
    with client_for(sandbox, timeout=0.2) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "latency", "next_n": 1, "latency_ms": 400})
        (result,) = client.create("Lead", [{"LastName": "Slow", "Company": "Co"}])
        assert not result.success
        error = result.errors[0]
        assert isinstance(error, CrmTransientError)
        assert error.error_code == "CONNECTION_ERROR"
        assert error.details["maybe_applied"] is True
        assert client.usage().calls_by_kind["create"] == 1
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:  # the org saves it once, after its delay
            if list(client.query("SELECT Id FROM Lead")):
                break
            time.sleep(0.05)
        assert len(list(client.query("SELECT Id FROM Lead"))) == 1


@pytest.mark.parametrize("flow", ["client_credentials", "password_oauth", "password_soap", "jwt"])
def test_an_expired_session_is_renewed_once_and_the_call_replayed(
    sandbox: SandboxClient, flow: str
) -> None:
    if flow == "jwt":
        client = jwt_client(sandbox)
    elif flow == "password_soap":
        client = soap_client(sandbox)
    else:
        client = client_for(
            sandbox, "password" if flow == "password_oauth" else "client_credentials"
        )
    insert_leads(sandbox, [{"Email": "renew@example.com"}])
    with client:
        client.connect()
        sandbox.control("POST", "/tokens", {"expire_all": True})
        found = client.find_by_emails("Lead", ["renew@example.com"], ["Email"])
        assert len(found) == 1
        assert client.logins == 2
        assert client.usage().calls_by_kind == {"login": 2, "query": 2}


def test_a_session_refused_again_after_renewal_is_not_looped(sandbox: SandboxClient) -> None:
    with client_for(sandbox) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "INVALID_SESSION_ID", "next_n": 5})
        with pytest.raises(CrmConfigurationError) as failure:
            list(client.query("SELECT Id FROM Lead"))
        assert failure.value.error_code == "INVALID_SESSION_ID"
        assert client.logins == 2
        assert fired(sandbox, "INVALID_SESSION_ID") == 2


def test_request_limit_exceeded_stops_without_retrying(sandbox: SandboxClient) -> None:
    sleep = RecordingSleep()
    with client_with_sleep(sandbox, sleep) as client:
        client.connect()
        sandbox.control("POST", "/usage", {"allowance": 10, "used": 10})
        with pytest.raises(CrmLimitError) as stop:
            client.find_by_emails("Lead", ["a@example.com"], ["Email"])
        assert stop.value.error_code == "REQUEST_LIMIT_EXCEEDED"
        assert stop.value.status == 403
        assert sleep.waits == []
        assert client.usage().calls_by_kind["query"] == 1
        with pytest.raises(CrmLimitError):  # known now: refused before a request is made
            list(client.query("SELECT Id FROM Lead"))
        assert client.usage().calls_by_kind["query"] == 1


def test_the_budget_stops_calls_at_half_the_allowance(sandbox: SandboxClient) -> None:
    with client_for(sandbox) as client:
        client.connect()
        sandbox.control("POST", "/usage", {"allowance": 100, "used": 60})
        assert list(client.query("SELECT Id FROM Lead")) == []  # usage unknown until this reply
        assert org_usage(sandbox) == 61
        with pytest.raises(CrmLimitError) as stop:
            client.find_by_emails("Lead", ["a@example.com"], ["Email"])
        assert stop.value.error_code == "API_BUDGET_EXCEEDED"
        assert "61 of its 100" in stop.value.message
        assert org_usage(sandbox) == 61  # no call was spent
        report = client.usage()
        assert (report.used, report.limit) == (61, 100)


def test_a_higher_budget_lets_calls_through(sandbox: SandboxClient) -> None:
    with client_for(sandbox, budget_percent=80) as client:
        client.connect()
        sandbox.control("POST", "/usage", {"allowance": 100, "used": 60})
        list(client.query("SELECT Id FROM Lead"))
        list(client.query("SELECT Id FROM Lead"))
        report = client.usage(refresh=True)
        assert (report.used, report.limit) == (63, 100)
        assert report.calls_by_kind["limits"] == 1


def test_records_locked_inside_a_200_reply_are_resent_alone(sandbox: SandboxClient) -> None:
    sleep = RecordingSleep()
    with client_with_sleep(sandbox, sleep) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 2})
        rows = [{"LastName": f"R{n}", "Company": "Co"} for n in range(3)]
        results = client.create("Lead", rows)
        assert [result.success for result in results] == [True, True, True]
        assert len(sleep.waits) == 1  # one resend of the two locked records
        assert client.usage().calls_by_kind["create"] == 2
        names = sorted(record["LastName"] for record in client.query("SELECT LastName FROM Lead"))
        assert names == ["R0", "R1", "R2"]  # each saved once


def test_a_record_locked_on_every_try_ends_as_a_transient_error(sandbox: SandboxClient) -> None:
    (lead_id,) = insert_leads(sandbox, [{"Title": "Old"}])
    sleep = RecordingSleep()
    with client_with_sleep(sandbox, sleep, attempts=3) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "record_lock", "next_n": 3})
        (result,) = client.update("Lead", [{"Id": lead_id, "Title": "New"}])
        assert not result.success
        error = result.errors[0]
        assert isinstance(error, CrmTransientError)
        assert error.error_code == "UNABLE_TO_LOCK_ROW"
        assert client.usage().calls_by_kind["update"] == 3
        (lead,) = client.query("SELECT Title FROM Lead")
        assert lead["Title"] == "Old"


def test_an_upsert_whose_reply_is_cut_is_replayed_without_a_duplicate(
    sandbox: SandboxClient,
) -> None:
    with client_for(sandbox) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "connection_cut", "next_n": 1})
        row = {"LeadBridge_Prospect_Id__c": "p-1", "LastName": "Cut", "Company": "Co"}
        (result,) = client.upsert("Lead", "LeadBridge_Prospect_Id__c", [row])
        assert result.success
        assert result.created is False  # the replay found the lead the first try saved
        assert len(list(client.query("SELECT Id FROM Lead"))) == 1


def test_a_create_whose_reply_is_cut_is_reported_not_replayed(sandbox: SandboxClient) -> None:
    with client_for(sandbox) as client:
        client.connect()
        sandbox.control("POST", "/faults", {"kind": "connection_cut", "next_n": 1})
        (result,) = client.create("Lead", [{"LastName": "Cut", "Company": "Co"}])
        assert not result.success
        error = result.errors[0]
        assert isinstance(error, CrmTransientError)
        assert error.details["maybe_applied"] is True
        assert client.usage().calls_by_kind["create"] == 1
        assert len(list(client.query("SELECT Id FROM Lead"))) == 1
