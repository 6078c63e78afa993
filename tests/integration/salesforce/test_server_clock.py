"""Salesforce's clock as the client reads it: the Date header of the org's replies, whatever
this machine's clock says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadbridge.salesforce import SalesforceClient
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.clock import http_date
from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE
from tests.conftest import SandboxClient

TOLERANCE = timedelta(seconds=2)


@pytest.mark.parametrize("offset_minutes", [10, -10, 0])
def test_server_now_follows_the_org_clock(
    sandbox: SandboxClient, client: SalesforceClient, offset_minutes: int
) -> None:
    sandbox.control("POST", "/clock", {"offset_seconds": offset_minutes * 60})
    expected = datetime.now(UTC) + timedelta(minutes=offset_minutes)
    assert abs(client.server_now() - expected) < TOLERANCE


def test_server_now_logs_in_once_and_then_costs_nothing(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    before = sandbox.control("GET", "/usage")["used"]
    client.server_now()
    client.server_now()
    assert client.logins == 1
    assert sandbox.control("GET", "/usage")["used"] == before


def test_every_sandbox_reply_carries_the_org_date(sandbox: SandboxClient) -> None:
    sandbox.control("POST", "/clock", {"offset_seconds": -600})
    reply = sandbox.http.get(f"{sandbox.instance_url}/services/data")
    shown = datetime.strptime(reply.headers["Date"], "%a, %d %b %Y %H:%M:%S GMT").replace(
        tzinfo=UTC
    )
    assert abs(shown - (datetime.now(UTC) - timedelta(minutes=10))) < TOLERANCE


def test_http_date_format() -> None:
    moment = datetime(2026, 12, 2, 23, 5, 9, 700_000, tzinfo=UTC)
    assert http_date(moment) == "Wed, 02 Dec 2026 23:05:09 GMT"


def test_a_fresh_org_has_no_leadbridge_fields_and_no_duplicate_rules(tmp_path: Path) -> None:
    config = SandboxConfig(data_dir=tmp_path, memory=True, schema_file=FRESH_ORG_SCHEMA_FILE)
    with SandboxServer(config) as server:
        for name in ("Lead", "Contact"):
            obj = server.backend.schema.object(name)
            assert obj is not None
            assert obj.field("Email") is not None
            assert obj.field("LeadBridge_Prospect_Id__c") is None
            assert obj.field("LeadBridge_Score__c") is None
            assert not obj.duplicate_rules
