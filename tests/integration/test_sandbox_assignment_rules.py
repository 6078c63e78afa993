"""Lead assignment rules and `Sforce-Auto-Assign`, as Salesforce's REST API applies them, driven
through unmodified simple-salesforce and raw HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.conftest import SandboxClient

NO_AUTO_ASSIGN = {"Sforce-Auto-Assign": "FALSE"}


@pytest.fixture
def sf(sandbox: SandboxClient) -> Salesforce:
    return Salesforce(
        instance_url=sandbox.instance_url, session_id=sandbox.token(), session=sandbox.session()
    )


def seed_users(sandbox: SandboxClient, sf: Salesforce) -> list[str]:
    sizes = dict.fromkeys(("accounts", "contacts", "leads", "opportunities", "campaigns"), 0) | {
        "campaign_members": 0,
        "subscriptions": 0,
        "users": 3,
    }
    sandbox.control("POST", "/seed", sizes)
    admin = sandbox.credentials["username"]
    rows = sf.query(
        f"SELECT Id FROM User WHERE IsActive = true AND Username != '{admin}' ORDER BY Username"
    )["records"]
    return [row["Id"] for row in rows]


def admin_id(sf: Salesforce, sandbox: SandboxClient) -> str:
    username = sandbox.credentials["username"]
    return str(sf.query(f"SELECT Id FROM User WHERE Username = '{username}'")["records"][0]["Id"])


def set_rules(sandbox: SandboxClient, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = sandbox.control("PUT", "/assignment-rules", body)
    return result


def country_rule(france: str, germany: str, *, active: bool = True) -> dict[str, Any]:
    return {
        "name": "By country",
        "active": active,
        "entries": [
            {
                "criteria": [{"field": "Country", "operator": "equals", "value": "France"}],
                "owner_id": france,
            },
            {
                "criteria": [
                    {"field": "Country", "operator": "equals", "value": ["Germany", "Austria"]}
                ],
                "owner_id": germany,
            },
            {
                "criteria": [{"field": "Company", "operator": "startsWith", "value": "Acme"}],
                "owner_id": france,
            },
        ],
    }


def owner(sf: Salesforce, lead_id: str) -> str:
    return str(sf.Lead.get(lead_id)["OwnerId"])


def lead(country: str | None, company: str = "Globex", **extra: Any) -> dict[str, Any]:
    return {"LastName": "Ng", "Company": company, "Country": country, **extra}


def test_without_the_header_rest_applies_the_active_rule(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    france, germany, other = seed_users(sandbox, sf)
    set_rules(sandbox, rules=[country_rule(france, germany)], default_owner_id=other)
    assert owner(sf, sf.Lead.create(lead("France"))["id"]) == france
    assert owner(sf, sf.Lead.create(lead("Austria"))["id"]) == germany
    # The first matching entry wins; an OwnerId in the body loses to the rule.
    explicit = sf.Lead.create(lead("France", company="Acme", OwnerId=germany))["id"]
    assert owner(sf, explicit) == france
    # No entry matches: the default lead owner.
    assert owner(sf, sf.Lead.create(lead("Japan"))["id"]) == other


def test_header_false_keeps_the_owner_sent_or_the_running_user(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    france, germany, other = seed_users(sandbox, sf)
    set_rules(sandbox, rules=[country_rule(france, germany)], default_owner_id=other)
    sent = sf.Lead.create(lead("France", OwnerId=germany), headers={"Sforce-Auto-Assign": "false"})
    assert owner(sf, sent["id"]) == germany
    running = sf.Lead.create(lead("France"), headers=NO_AUTO_ASSIGN)
    assert owner(sf, running["id"]) == admin_id(sf, sandbox)
    # TRUE is case-insensitive too.
    assert (
        owner(sf, sf.Lead.create(lead("France"), headers={"Sforce-Auto-Assign": "True"})["id"])
        == france
    )


def test_no_active_rule_leaves_the_owner_alone(sandbox: SandboxClient, sf: Salesforce) -> None:
    france, germany, _ = seed_users(sandbox, sf)
    set_rules(sandbox, rules=[country_rule(france, germany, active=False)])
    assert owner(sf, sf.Lead.create(lead("France", OwnerId=germany))["id"]) == germany
    sandbox.control("DELETE", "/assignment-rules")
    assert owner(sf, sf.Lead.create(lead("France", OwnerId=germany))["id"]) == germany


def test_updates_run_the_rule_unless_told_not_to(sandbox: SandboxClient, sf: Salesforce) -> None:
    france, germany, other = seed_users(sandbox, sf)
    created = sf.Lead.create(lead("Spain", OwnerId=other), headers=NO_AUTO_ASSIGN)["id"]
    set_rules(sandbox, rules=[country_rule(france, germany)], default_owner_id=other)
    sf.Lead.update(created, {"Country": "Germany"}, headers=NO_AUTO_ASSIGN)
    assert owner(sf, created) == other
    sf.Lead.update(created, {"Title": "CTO"})
    assert owner(sf, created) == germany
    history = sf.query(
        "SELECT OldValue, NewValue FROM LeadHistory "
        f"WHERE LeadId = '{created}' AND Field = 'OwnerId'"
    )["records"]
    assert [(row["OldValue"], row["NewValue"]) for row in history] == [(other, germany)]


def test_collections_and_composite_follow_the_header(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    france, germany, other = seed_users(sandbox, sf)
    set_rules(sandbox, rules=[country_rule(france, germany)], default_owner_id=other)
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Lead"}, **lead("France", OwnerId=other)},
            {"attributes": {"type": "Lead"}, **lead("Germany", OwnerId=other)},
        ],
    }
    assigned = sf.restful("composite/sobjects", method="POST", json=body)
    assert [owner(sf, item["id"]) for item in assigned] == [france, germany]
    kept = sf.restful("composite/sobjects", method="POST", json=body, headers=NO_AUTO_ASSIGN)
    assert [owner(sf, item["id"]) for item in kept] == [other, other]
    composite = {
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Lead",
                "referenceId": "a",
                "body": lead("France", OwnerId=other),
            },
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Lead",
                "referenceId": "b",
                "body": lead("France", OwnerId=other),
                "httpHeaders": {"Sforce-Auto-Assign": "FALSE"},
            },
        ]
    }
    replies = sf.restful("composite", method="POST", json=composite)["compositeResponse"]
    assert [owner(sf, reply["body"]["id"]) for reply in replies] == [france, other]


def test_the_header_can_name_a_rule_even_an_inactive_one(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    france, germany, other = seed_users(sandbox, sf)
    rules = set_rules(
        sandbox,
        rules=[
            country_rule(france, germany),
            {
                "name": "Everything to other",
                "active": False,
                "entries": [{"criteria": [], "owner_id": other}],
            },
        ],
    )["rules"]
    inactive = rules[1]["id"]
    assert rules[0]["active"] and not rules[1]["active"]
    queried = sf.query("SELECT Id, Name, Active, SobjectType FROM AssignmentRule ORDER BY Name")
    assert [(row["Name"], row["Active"], row["SobjectType"]) for row in queried["records"]] == [
        ("By country", True, "Lead"),
        ("Everything to other", False, "Lead"),
    ]
    named = sf.Lead.create(lead("France"), headers={"Sforce-Auto-Assign": inactive[:15]})
    assert owner(sf, named["id"]) == other
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.Lead.create(lead("France"), headers={"Sforce-Auto-Assign": "yes please"})
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_ID"
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.Lead.create(lead("France"), headers={"Sforce-Auto-Assign": "01Q5g0000009ZZZAAA"})
    assert unknown.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    with pytest.raises(SalesforceMalformedRequest) as read_only:
        sf.AssignmentRule.create({"Name": "Mine"})
    assert read_only.value.content[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"


def bulk_insert(
    sandbox: SandboxClient, token: str, spec: dict[str, Any], csv_text: str
) -> dict[str, Any]:
    created = sandbox.api("POST", "/jobs/ingest", token, json=spec)
    assert created.status_code == 200, created.text
    job = created.json()["id"]
    uploaded = sandbox.api(
        "PUT",
        f"/jobs/ingest/{job}/batches",
        token,
        data=csv_text.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 201, uploaded.text
    closed = sandbox.api("PATCH", f"/jobs/ingest/{job}", token, json={"state": "UploadComplete"})
    assert closed.status_code == 200, closed.text
    for _ in range(200):
        info: dict[str, Any] = sandbox.api("GET", f"/jobs/ingest/{job}", token).json()
        if info["state"] in {"JobComplete", "Failed"}:
            return info
        time.sleep(0.02)
    raise AssertionError("bulk job did not finish")


def test_bulk_runs_a_rule_only_when_the_job_names_it(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    france, germany, other = seed_users(sandbox, sf)
    rule = set_rules(sandbox, rules=[country_rule(france, germany)])["rules"][0]["id"]
    token = sandbox.token()
    rows = f"LastName,Company,Country,OwnerId\nPlain,Globex,France,{other}\n"
    plain = bulk_insert(sandbox, token, {"object": "Lead", "operation": "insert"}, rows)
    assert "assignmentRuleId" not in plain
    spec = {"object": "Lead", "operation": "insert", "assignmentRuleId": rule}
    named = bulk_insert(sandbox, token, spec, rows.replace("Plain", "Named"))
    assert named["assignmentRuleId"] == rule and named["numberRecordsFailed"] == 0
    owners = {
        row["LastName"]: row["OwnerId"]
        for row in sf.query("SELECT LastName, OwnerId FROM Lead")["records"]
    }
    assert owners == {"Plain": other, "Named": france}
    refused = sandbox.api(
        "POST",
        "/jobs/ingest",
        token,
        json={"object": "Lead", "operation": "insert", "assignmentRuleId": "nope"},
    )
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "INVALIDJOB"


def control_error(sandbox: SandboxClient, body: dict[str, Any]) -> str:
    reply = requests.put(
        f"{sandbox.instance_url}/__sandbox__/assignment-rules",
        json=body,
        verify=sandbox.ca_file,
        headers={"X-Sandbox-Token": sandbox.credentials.get("control_token") or ""},
        timeout=10,
    )
    assert reply.status_code == 400, reply.text
    return str(reply.json()[0]["message"])


def test_the_control_plane_refuses_bad_rules_naming_the_entry(
    sandbox: SandboxClient, sf: Salesforce
) -> None:
    france, germany, _ = seed_users(sandbox, sf)
    inactive = sf.query("SELECT Id FROM User WHERE IsActive = false")["records"][0]["Id"]
    lead_id = sf.Lead.create(lead("France"))["id"]

    def entry(**overrides: Any) -> dict[str, Any]:
        criterion = {"field": "Country", "operator": "equals", "value": "France"}
        return {
            "criteria": [criterion | overrides.pop("criterion", {})],
            "owner_id": france,
            **overrides,
        }

    rule = {"name": "R", "entries": [entry(), entry(criterion={"field": "Nope__c"})]}
    assert "rule 1 (R), entry 2: no Lead field 'Nope__c'" in control_error(
        sandbox, {"rules": [rule]}
    )
    bad_operator = {"name": "R", "entries": [entry(criterion={"operator": "like"})]}
    assert "operator must be one of" in control_error(sandbox, {"rules": [bad_operator]})
    for bad_owner, reason in (
        (inactive, "is inactive"),
        (lead_id, "is not a user"),
        ("005nope", "is not a record ID"),
        ("0055g0000009ZZZAAA", "no user"),
    ):
        body = {"rules": [{"name": "R", "entries": [entry(owner_id=bad_owner)]}]}
        assert reason in control_error(sandbox, body)
    two_active = {"rules": [country_rule(france, germany), country_rule(germany, france)]}
    assert "only one lead assignment rule can be active" in control_error(sandbox, two_active)
    assert sandbox.control("GET", "/assignment-rules")["rules"] == []
