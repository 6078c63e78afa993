"""The sandbox's API limits as Salesforce has them, driven over raw HTTP and simple-salesforce:
usage over a rolling 24 hours, and at most 5 query subrequests in one Composite request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.conftest import SandboxClient


def set_org_time(sandbox: SandboxClient, moment: datetime) -> None:
    offset = (moment - datetime.now(UTC)).total_seconds()
    sandbox.control("POST", "/clock", {"offset_seconds": offset})


def set_org_offset(sandbox: SandboxClient, delta: timedelta) -> None:
    sandbox.control("POST", "/clock", {"offset_seconds": delta.total_seconds()})


def used_after_a_call(sandbox: SandboxClient) -> int:
    """One API call; the usage it reports in `Sforce-Limit-Info` (this call included). A fresh
    token each time (logins are not counted): tokens expire on the org clock."""
    reply = sandbox.api("GET", "/limits")
    assert reply.status_code == 200, reply.text
    header = reply.headers["Sforce-Limit-Info"]
    used, allowance = header.removeprefix("api-usage=").split("/")
    daily = reply.json()["DailyApiRequests"]
    assert int(allowance) == daily["Max"] == 100_000
    assert daily["Max"] - daily["Remaining"] == int(used)
    return int(used)


def test_calls_made_23_hours_ago_still_count(sandbox: SandboxClient) -> None:
    set_org_offset(sandbox, timedelta(hours=-23))
    used_after_a_call(sandbox)
    used_after_a_call(sandbox)
    set_org_offset(sandbox, timedelta())
    assert used_after_a_call(sandbox) == 3
    assert sandbox.control("GET", "/usage")["used"] == 3


def test_calls_made_25_hours_ago_no_longer_count(sandbox: SandboxClient) -> None:
    set_org_offset(sandbox, timedelta(hours=-25))
    assert used_after_a_call(sandbox) == 1
    assert used_after_a_call(sandbox) == 2
    set_org_offset(sandbox, timedelta())
    assert used_after_a_call(sandbox) == 1


def test_crossing_utc_midnight_does_not_reset_usage(sandbox: SandboxClient) -> None:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    midnight += timedelta(days=1)
    set_org_time(sandbox, midnight - timedelta(minutes=2))
    assert used_after_a_call(sandbox) == 1
    set_org_time(sandbox, midnight + timedelta(minutes=2))
    assert used_after_a_call(sandbox) == 2


def test_usage_through_simple_salesforce_counts_calls_from_yesterday(
    sandbox: SandboxClient,
) -> None:
    set_org_offset(sandbox, timedelta(hours=-20))
    earlier = Salesforce(
        instance_url=sandbox.instance_url, session_id=sandbox.token(), session=sandbox.session()
    )
    earlier.query("SELECT Id FROM Lead")
    set_org_offset(sandbox, timedelta())
    sf = Salesforce(
        instance_url=sandbox.instance_url, session_id=sandbox.token(), session=sandbox.session()
    )
    sf.query("SELECT Id FROM Lead")
    assert sf.api_usage["api-usage"].used == 2
    assert sf.limits()["DailyApiRequests"]["Remaining"] == 100_000 - 3


def composite_of_queries(count: int, *, method: str = "GET") -> dict[str, object]:
    return {
        "compositeRequest": [
            {
                "method": method,
                "url": f"/services/data/v59.0/{kind}?{urlencode({'q': 'SELECT Id FROM Lead'})}",
                "referenceId": f"q{i}",
            }
            for i, kind in enumerate(["query", "queryAll"] * (count // 2) + ["query"] * (count % 2))
        ]
    }


def test_six_query_subrequests_are_refused_whole(sandbox: SandboxClient) -> None:
    reply = sandbox.api("POST", "/composite", json=composite_of_queries(6))
    assert reply.status_code == 400
    error = reply.json()[0]
    assert error["errorCode"] == "INVALID_BATCH_REQUEST"
    assert "6 query subrequests" in error["message"]
    assert "5 at most" in error["message"]


def test_five_query_subrequests_with_other_subrequests_are_answered(
    sandbox: SandboxClient,
) -> None:
    body = composite_of_queries(5)
    subrequests = body["compositeRequest"]
    assert isinstance(subrequests, list)
    subrequests.append(
        {"method": "GET", "url": "/services/data/v59.0/sobjects/Lead/describe", "referenceId": "d"}
    )
    reply = sandbox.api("POST", "/composite", json=body)
    assert reply.status_code == 200, reply.text
    statuses = [item["httpStatusCode"] for item in reply.json()["compositeResponse"]]
    assert statuses == [200] * 6


def test_simple_salesforce_composite_with_six_queries_is_refused(sandbox: SandboxClient) -> None:
    sf = Salesforce(
        instance_url=sandbox.instance_url, session_id=sandbox.token(), session=sandbox.session()
    )
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.restful("composite", method="POST", json=composite_of_queries(6))
    assert refused.value.content[0]["errorCode"] == "INVALID_BATCH_REQUEST"
