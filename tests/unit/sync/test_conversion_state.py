"""A converted lead's agreed values carried to its contact through the prospect fields."""

from __future__ import annotations

from leadbridge.domain.conversion import converted_state
from leadbridge.domain.field_rules import FieldRule
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.push_record import FILLED, SEEN, SENT
from tests.unit.sync.schema import crm_object, field

RECENT = SyncBehaviour.MOST_RECENT
CONTACT = crm_object("Contact", field("Tier__c", "string", length=10))
LEAD_RULES = (
    FieldRule("job_title", "title", RECENT),  # spelled unlike the describe: matched anyway
    FieldRule("phone", "Phone", RECENT),
    FieldRule("tier", "Lead_Tier__c", RECENT),  # the contact maps it to another field
    FieldRule("company", "Company", RECENT),  # only the lead maps it
)
CONTACT_RULES = (
    FieldRule("job_title", "Title", RECENT),
    FieldRule("phone", "Phone", RECENT),
    FieldRule("tier", "Tier__c", RECENT),
    FieldRule("account", "Account.Name", RECENT),  # a relationship: never carried
)


def test_agreed_values_follow_the_prospect_field_to_the_contacts_names() -> None:
    lead_state = {
        "Title": "CTO",
        "Phone": "555",
        "Lead_Tier__c": "Gold",
        "Company": "Acme",
        FILLED: {"Company": "[not provided]", "Phone": "555"},
        SEEN: {"Title": ["CEO", "2026-12-02T10:00:00+00:00"]},
        SENT: {"Title": "VP"},
    }
    carried = converted_state(LEAD_RULES, CONTACT, CONTACT_RULES, lead_state)
    assert carried == {
        "Title": "CTO",
        "Phone": "555",
        "Tier__c": "Gold",
        FILLED: {"Phone": "555"},
        SEEN: {"Title": ["CEO", "2026-12-02T10:00:00+00:00"]},
    }


def test_nothing_agreed_carries_nothing() -> None:
    assert converted_state(LEAD_RULES, CONTACT, CONTACT_RULES, {}) == {}
