"""The record written for one prospect: creation defaults, field rules, stand-in values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadbridge.domain.field_rules import FieldRule
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.push_record import (
    FILLED,
    USER_NOT_MAPPED,
    Creation,
    ProspectValues,
    plan_write,
)
from tests.unit.sync.schema import CONTACT, LEAD, LEAD_RULES

EDITED = datetime(2026, 3, 1, tzinfo=UTC)
CREATION = Creation("[not provided]", "005OWNER", key_field="LeadBridge_Prospect_Id__c", key="lb-1")


def prospect(**values: Any) -> ProspectValues:
    defaults = {"email": "Ada.L@example.com", "score": 0, "opted_out": False}  # as a Prospect has
    return ProspectValues("Ada.L@example.com", {**defaults, **values}, updated_at=EDITED)


def lead(**values: Any) -> dict[str, Any]:
    return {
        "Id": "00QA",
        "LastModifiedDate": "2026-01-01T00:00:00.000+0000",
        "Email": "ada.l@example.com",
        "LastName": "Lovelace",
        "Company": "Analytical",
        "HasOptedOutOfEmail": False,
        "LeadBridge_Score__c": 0,
        **values,
    }


def test_a_new_lead_gets_required_values_owner_and_key() -> None:
    plan = plan_write(
        LEAD, LEAD_RULES, prospect(first_name="Ada", score=12), None, creation=CREATION
    )
    assert plan.creates
    assert plan.problems == ()
    assert plan.values == {
        "Email": "Ada.L@example.com",
        "FirstName": "Ada",
        "HasOptedOutOfEmail": False,
        "LeadBridge_Score__c": 12,
        "Company": "[not provided]",
        "LastName": "Ada.L",
        "LeadBridge_Prospect_Id__c": "lb-1",
        "OwnerId": "005OWNER",
    }
    assert plan.agreed[FILLED] == {"Company": "[not provided]", "LastName": "Ada.L"}
    assert "OwnerId" not in plan.agreed  # the owner is Salesforce's once the record exists


def test_an_unmapped_user_stops_the_creation_with_a_plain_message() -> None:
    creation = Creation("[not provided]", None, owner_problem="map the user")
    plan = plan_write(LEAD, LEAD_RULES, prospect(), None, creation=creation)
    assert [(p.code, p.message) for p in plan.problems] == [(USER_NOT_MAPPED, "map the user")]
    assert "OwnerId" not in plan.values


def test_an_update_sends_only_the_fields_leadbridge_wins() -> None:
    plan = plan_write(
        LEAD,
        LEAD_RULES,
        prospect(first_name="Ada", last_name="Byron", phone="+1 555", score=30, company="Other"),
        lead(Phone="+1 000"),
    )
    # FirstName: Salesforce blank, so ours fills it; LastName and Company: Salesforce's value
    # wins; Phone: use leadbridge's; score: leadbridge's own.
    assert plan.values == {"FirstName": "Ada", "Phone": "+1 555", "LeadBridge_Score__c": 30}
    assert plan.record()["Id"] == "00QA"
    assert "LastName" not in plan.agreed  # Salesforce won: left for the pull to see


def test_nothing_to_write_when_salesforce_already_agrees() -> None:
    plan = plan_write(
        LEAD, LEAD_RULES, prospect(last_name="Lovelace", company="Analytical"), lead()
    )
    assert plan.values == {}
    assert not plan.needs_call
    assert plan.agreed["LastName"] == "Lovelace"


def test_a_contact_company_is_never_written() -> None:
    rules = (FieldRule("company", "Account.Name", SyncBehaviour.USE_LEADBRIDGE),)
    contact = {"Id": "003A", "LastModifiedDate": "2026-01-01T00:00:00.000+0000"}
    assert plan_write(CONTACT, rules, prospect(company="Acme"), contact).values == {}


def test_a_placeholder_company_gives_way_to_the_real_one() -> None:
    created = plan_write(LEAD, LEAD_RULES, prospect(), None, creation=CREATION)
    placeholder = lead(Company="[not provided]", LastName="Ada.L")
    unchanged = plan_write(LEAD, LEAD_RULES, prospect(), placeholder, agreed=created.agreed)
    assert unchanged.values == {}
    assert unchanged.agreed[FILLED] == {"Company": "[not provided]", "LastName": "Ada.L"}
    real = plan_write(
        LEAD, LEAD_RULES, prospect(company="Acme"), placeholder, agreed=created.agreed
    )
    assert real.values == {"Company": "Acme"}
    assert real.agreed[FILLED] == {"LastName": "Ada.L"}
    # Once a rep typed a real company, it is Salesforce's value like any other.
    edited = lead(Company="Rep's pick", LastName="Ada.L")
    kept = plan_write(LEAD, LEAD_RULES, prospect(company="Acme"), edited, agreed=created.agreed)
    assert kept.values == {}


def test_preflight_problems_come_with_the_plan() -> None:
    plan = plan_write(LEAD, LEAD_RULES, prospect(lead_status="Hot"), lead())
    assert [p.code for p in plan.problems] == ["PREFLIGHT_INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"]
    assert "lead_status" in plan.problems[0].message
