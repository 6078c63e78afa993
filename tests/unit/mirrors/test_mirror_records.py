"""Translating Salesforce records into mirror snapshots, and the mirrors' SOQL pieces."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from leadbridge.errors import ConfigurationError
from leadbridge.store.mirrors_custom import CustomObjectType
from leadbridge.store.models import Edition
from leadbridge.sync.mirrors import records as rec
from leadbridge.sync.mirrors.custom import check_edition
from leadbridge.sync.mirrors.users import users_due

CONTACT, LEAD, ACCOUNT = "003000000000001AAA", "00Q000000000001AAA", "001000000000001AAA"


def test_account_keeps_mapped_non_blank_values() -> None:
    record: dict[str, Any] = {"Id": ACCOUNT, "Name": "Acme", "Industry": "Retail", "Website": None}
    record["SystemModstamp"] = "2026-01-02T03:04:05.000+0000"
    data = rec.account(record, {"industry": "Industry", "website": "Website"})
    assert (data.name, dict(data.values)) == ("Acme", {"industry": "Retail"})
    assert data.modified_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_opportunity_types() -> None:
    record: dict[str, Any] = {"Id": "006000000000001AAA", "Name": "Deal", "StageName": "Closed Won"}
    record |= {"Amount": 5, "CloseDate": "2027-03-31", "IsWon": True, "IsClosed": True}
    data = rec.opportunity(record)
    assert (data.amount, data.close_date, data.is_won) == (5.0, date(2027, 3, 31), True)
    assert data.account_crm_id is None


def test_a_member_is_its_contact_when_synced_else_its_lead() -> None:
    record = {"Id": "00v000000000001AAA", "CampaignId": "701", "ContactId": CONTACT, "LeadId": LEAD}
    assert rec.member(record, {CONTACT}).person_crm_id == CONTACT
    assert rec.member(record, {LEAD}).person_crm_id == LEAD


def test_custom_record_finds_its_lookups() -> None:
    kind = CustomObjectType(
        "Subscription__c",
        "Subscription",
        [
            {"name": "Contact__c", "reference_to": ["Contact"]},
            {"name": "Company__c", "reference_to": ["Account"]},
            {"name": "OwnerId", "reference_to": ["User"]},
        ],
        None,
    )
    record: dict[str, Any] = {
        "Id": "a01000000000001AAA",
        "Contact__c": CONTACT,
        "Company__c": ACCOUNT,
    }
    record |= {"Renewal_Date__c": date(2027, 1, 1), "OwnerId": "005000000000001AAA"}
    data = rec.custom_record(record, kind)
    assert (data.person_crm_id, data.account_crm_id) == (CONTACT, ACCOUNT)
    assert data.values["Renewal_Date__c"] == "2027-01-01"


def test_ids_are_checked_deduplicated_and_chunked() -> None:
    ids = [CONTACT, CONTACT, "x' OR Name != '", "", LEAD]
    assert list(rec.id_chunks(ids, size=1)) == [[CONTACT], [LEAD]]
    clause = rec.where_any({"ContactId": [CONTACT], "LeadId": []})
    assert clause == f"ContactId IN ('{CONTACT}')"


def test_the_edition_gate() -> None:
    with pytest.raises(ConfigurationError, match="Custom objects need the plus or advanced"):
        check_edition(Edition.STANDARD)
    check_edition(Edition.PLUS)


def test_users_are_polled_daily() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert users_due(None, now)
    assert not users_due(now - timedelta(hours=23), now)
    assert users_due(now - timedelta(hours=24), now)
