"""The org's save rules, recycle bin, conversion and merge (state layer, no HTTP)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from leadbridge.sandbox import SandboxBackend, SandboxConfig
from leadbridge.sandbox.conversion import LeadConvert, convert_lead, merge
from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.org import Org, SaveOptions


def lead(**values: Any) -> dict[str, Any]:
    return {"LastName": "Lovelace", "Company": "Engines", **values}


def error_of(action: Any) -> SalesforceError:
    with pytest.raises(SalesforceError) as caught:
        action()
    return caught.value


@pytest.fixture
def org(backend: SandboxBackend) -> Org:
    return backend.org


def test_create_fills_system_fields_defaults_and_formulas(org: Org) -> None:
    lead_id = org.create("Lead", lead(FirstName="Ada"))
    record = org.retrieve("Lead", lead_id)
    assert record["Name"] == "Ada Lovelace"
    assert record["Status"] == "Open - Not Contacted"
    assert record["OwnerId"] == org.admin_user_id
    assert record["IsDeleted"] is False and record["IsConverted"] is False
    assert record["CreatedDate"].endswith("+0000")
    assert record["SystemModstamp"] == record["CreatedDate"]


def test_fifteen_character_ids_are_accepted(org: Org) -> None:
    lead_id = org.create("Lead", lead())
    assert org.retrieve("lead", lead_id[:15])["Id"] == lead_id


@pytest.mark.parametrize(
    ("values", "code", "fields"),
    [
        ({"Company": "X"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        ({}, "REQUIRED_FIELD_MISSING", ["LastName", "Company"]),
        (lead(LastName="x" * 81), "STRING_TOO_LONG", ["LastName"]),
        (lead(Email="nope@"), "INVALID_EMAIL_ADDRESS", ["Email"]),
        (lead(Status="Hot"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        (lead(IsConverted=True), "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsConverted"]),
        (lead(Name="Computed"), "INVALID_FIELD_FOR_INSERT_UPDATE", ["Name"]),
        (lead(Bogus__c="x"), "INVALID_FIELD", []),
        (lead(NumberOfEmployees="many"), "JSON_PARSER_ERROR", ["NumberOfEmployees"]),
        (lead(OwnerId="not-an-id"), "MALFORMED_ID", ["OwnerId"]),
        (lead(OwnerId="0055g0000004C91AAE"), "INVALID_CROSS_REFERENCE_KEY", ["OwnerId"]),
        (lead(OwnerId="0015g0000004C91AAE"), "FIELD_INTEGRITY_EXCEPTION", ["OwnerId"]),
        (lead(Status="Qualified"), "FIELD_CUSTOM_VALIDATION_EXCEPTION", ["Phone"]),
    ],
)
def test_validation_errors(org: Org, values: dict[str, Any], code: str, fields: list[str]) -> None:
    error = error_of(lambda: org.create("Lead", values))
    assert error.error_code == code
    assert (error.fields or []) == fields
    assert org.db.conn.execute('SELECT COUNT(*) FROM "Lead"').fetchone()[0] == 0


def test_validation_rule_passes_when_its_condition_is_false(org: Org) -> None:
    lead_id = org.create("Lead", lead(Status="Qualified", Phone="+1 555 0100"))
    assert org.retrieve("Lead", lead_id)["Status"] == "Qualified"


def test_inactive_owner_is_refused(org: Org) -> None:
    user_id = org.create(
        "User",
        {"Username": "gone@x.test", "Email": "gone@x.test", "LastName": "Gone", "IsActive": False},
    )
    error = error_of(lambda: org.create("Lead", lead(OwnerId=user_id)))
    assert error.error_code == "INACTIVE_OWNER_OR_USER"


def test_unique_external_id_is_case_insensitive(org: Org) -> None:
    org.create("Lead", lead(LeadBridge_Prospect_Id__c="abc"))
    error = error_of(lambda: org.create("Lead", lead(LeadBridge_Prospect_Id__c="ABC")))
    assert error.error_code == "DUPLICATE_VALUE"
    assert "duplicates value on record with id" in error.message


def test_duplicate_rule_blocks_a_new_lead_with_a_known_email(org: Org) -> None:
    first = org.create("Lead", lead(Email="a@example.com"))
    error = error_of(lambda: org.create("Lead", lead(Email="A@Example.com")))
    assert error.error_code == "DUPLICATES_DETECTED"
    match = error.extra["duplicateResut"]["matchResults"][0]["matchRecords"][0]
    assert match["record"]["Id"] == first
    # the rule covers create only: an update to the same email passes
    second = org.create("Lead", lead(Email="b@example.com"))
    org.update("Lead", second, {"Email": "a@example.com"})


def test_update_checks_and_touches_modstamp(org: Org) -> None:
    lead_id = org.create("Lead", lead())
    before = org.retrieve("Lead", lead_id)["SystemModstamp"]
    org.clock.advance(__import__("datetime").timedelta(seconds=5))
    org.update("Lead", lead_id, {"Title": "CEO"})
    after = org.retrieve("Lead", lead_id)
    assert after["Title"] == "CEO" and after["SystemModstamp"] > before
    assert error_of(lambda: org.update("Lead", lead_id, {"LastName": None})).error_code == (
        "REQUIRED_FIELD_MISSING"
    )
    assert error_of(lambda: org.update("Lead", "00Q5g0000004C91EAE", {})).error_code == "NOT_FOUND"


def test_recycle_bin_delete_and_undelete(org: Org) -> None:
    account = org.create("Account", {"Name": "Acme"})
    contact = org.create("Contact", {"LastName": "Coyote", "AccountId": account})
    org.delete(account)
    assert error_of(lambda: org.retrieve("Contact", contact)).error_code == "ENTITY_IS_DELETED"
    assert error_of(lambda: org.delete(account)).error_code == "ENTITY_IS_DELETED"
    org.undelete(account)
    assert org.retrieve("Contact", contact)["IsDeleted"] is False
    assert error_of(lambda: org.undelete(account)).error_code == "UNDELETE_FAILED"


def test_campaign_members_get_default_status_and_stay_unique(org: Org) -> None:
    campaign = org.create("Campaign", {"Name": "Webinar"})
    lead_id = org.create("Lead", lead(Email="m@example.com"))
    member = org.create("CampaignMember", {"CampaignId": campaign, "LeadId": lead_id})
    record = org.retrieve("CampaignMember", member)
    assert record["Status"] == "Sent" and record["HasResponded"] is False
    assert record["Email"] == "m@example.com"
    error = error_of(
        lambda: org.create("CampaignMember", {"CampaignId": campaign, "LeadId": lead_id})
    )
    assert (error.error_code, error.message) == ("DUPLICATE_VALUE", "Already a campaign member.")
    org.update("CampaignMember", member, {"Status": "Responded"})
    assert org.retrieve("CampaignMember", member)["HasResponded"] is True
    bad = error_of(lambda: org.update("CampaignMember", member, {"Status": "Unknown"}))
    assert bad.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_lead_conversion_creates_contact_account_and_opportunity(org: Org) -> None:
    campaign = org.create("Campaign", {"Name": "Expo"})
    lead_id = org.create(
        "Lead", lead(FirstName="Ada", Email="ada@example.com", LeadBridge_Prospect_Id__c="p-9")
    )
    org.create("CampaignMember", {"CampaignId": campaign, "LeadId": lead_id})
    result = convert_lead(org, LeadConvert(lead_id=lead_id))
    converted = org.retrieve("Lead", lead_id)
    assert converted["IsConverted"] is True
    assert converted["ConvertedContactId"] == result.contact_id
    assert converted["ConvertedAccountId"] == result.account_id
    assert converted["ConvertedDate"] == org.today().isoformat()
    assert converted["Status"] == "Closed - Converted"
    contact = org.retrieve("Contact", result.contact_id)
    assert (contact["Email"], contact["AccountId"]) == ("ada@example.com", result.account_id)
    assert contact["LeadBridge_Prospect_Id__c"] == "p-9"
    assert org.retrieve("Account", result.account_id)["Name"] == "Engines"
    assert result.opportunity_id is not None
    members = org.db.conn.execute(
        'SELECT COUNT(*) FROM "CampaignMember" WHERE "ContactId" = ?', (result.contact_id,)
    ).fetchone()[0]
    assert members == 1
    again = error_of(lambda: convert_lead(org, LeadConvert(lead_id=lead_id)))
    assert again.error_code == "CANNOT_UPDATE_CONVERTED_LEAD"
    assert error_of(lambda: org.update("Lead", lead_id, {"Title": "x"})).error_code == (
        "CANNOT_UPDATE_CONVERTED_LEAD"
    )


def test_conversion_into_an_existing_contact_fills_only_empty_fields(org: Org) -> None:
    account = org.create("Account", {"Name": "Existing"})
    contact = org.create("Contact", {"LastName": "Kept", "AccountId": account, "Title": "CTO"})
    lead_id = org.create("Lead", lead(Title="Intern", Phone="123"))
    result = convert_lead(
        org,
        LeadConvert(
            lead_id=lead_id, account_id=account, contact_id=contact, do_not_create_opportunity=True
        ),
    )
    record = org.retrieve("Contact", contact)
    assert (record["Title"], record["Phone"], record["LastName"]) == ("CTO", "123", "Kept")
    assert result.opportunity_id is None


def test_merge_deletes_losers_and_repoints_children(org: Org) -> None:
    campaign = org.create("Campaign", {"Name": "C"})
    master = org.create("Lead", lead(Email="keep@example.com"))
    loser = org.create("Lead", lead(Email="lose@example.com", Title="VP"))
    member = org.create("CampaignMember", {"CampaignId": campaign, "LeadId": loser})
    result = merge(org, "Lead", master, [loser], {"Title": "VP"})
    assert result.merged_record_ids == [loser] and result.updated_related_ids == [member]
    row = org.load(org.object("Lead"), loser, include_deleted=True)
    assert row is not None and row["IsDeleted"] == 1 and row["MasterRecordId"] == master
    assert org.retrieve("CampaignMember", member)["LeadId"] == master
    assert org.retrieve("Lead", master)["Title"] == "VP"
    assert error_of(lambda: org.undelete(loser)).error_code == "UNDELETE_FAILED"
    assert error_of(lambda: merge(org, "Opportunity", master, [loser])).error_code == (
        "INVALID_TYPE_FOR_OPERATION"
    )


def test_saves_record_the_acting_user(org: Org) -> None:
    rep = org.create("User", {"Username": "rep@x.test", "Email": "rep@x.test", "LastName": "Rep"})
    lead_id = org.create("Lead", lead(), SaveOptions(actor_id=rep))
    record = org.retrieve("Lead", lead_id)
    assert record["CreatedById"] == rep and record["OwnerId"] == rep


def test_validation_rules_apply_to_every_record_and_follow_the_org_clock_s_day(
    tmp_path: Path,
) -> None:
    """A rule is compiled once per day, not per save: every record is still checked, and a
    rule on TODAY moves with the org's clock (yesterday's compiled form is not reused)."""
    schema = tmp_path / "schema.yaml"
    schema.write_text(
        "objects:\n  Lead:\n    fields:\n      Follow_Up__c: {type: date}\n"
        "    validation_rules:\n      - name: No_Past_Follow_Up\n"
        "        condition: Follow_Up__c < TODAY\n"
        "        message: The follow-up date is in the past.\n        field: Follow_Up__c\n"
    )
    config = SandboxConfig(data_dir=tmp_path, memory=True, random_seed=3, schema_file=schema)
    org = SandboxBackend(config).org
    org.clock.freeze(True)
    today = org.today()
    org.create("Lead", lead(Follow_Up__c=today.isoformat()))
    for _ in range(2):  # the second refusal uses the compiled rule
        error = error_of(
            lambda: org.create("Lead", lead(Follow_Up__c=(today - timedelta(1)).isoformat()))
        )
        assert (error.error_code, error.fields) == (
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            ["Follow_Up__c"],
        )
    org.clock.advance(timedelta(days=1))
    error = error_of(lambda: org.create("Lead", lead(Follow_Up__c=today.isoformat())))
    assert error.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    org.create("Lead", lead(Follow_Up__c=(today + timedelta(1)).isoformat()))
