"""Record-level rules that are specific to standard objects (campaign members, opportunities...).

Kept apart from the generic save pipeline in `org.py` so that each rule is easy to find.
"""

from __future__ import annotations

from typing import Any

# (child object, reference field) pairs whose children are deleted with their parent.
CASCADE_DELETES: tuple[tuple[str, str], ...] = (
    ("CampaignMember", "CampaignId"),
    ("CampaignMember", "LeadId"),
    ("CampaignMember", "ContactId"),
    ("CampaignMemberStatus", "CampaignId"),
    ("OpportunityContactRole", "OpportunityId"),
    ("OpportunityContactRole", "ContactId"),
    ("Contact", "AccountId"),
    ("Opportunity", "AccountId"),
)

# Children re-parented to the survivor when records are merged.
MERGE_REPARENT: dict[str, tuple[tuple[str, str], ...]] = {
    "Lead": (("CampaignMember", "LeadId"),),
    "Contact": (
        ("CampaignMember", "ContactId"),
        ("OpportunityContactRole", "ContactId"),
        ("Subscription__c", "Contact__c"),
    ),
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId")),
}

DEFAULT_MEMBER_STATUSES: tuple[tuple[str, bool, bool], ...] = (
    # label, is default, has responded
    ("Sent", True, False),
    ("Responded", False, True),
)

LEAD_STATUSES: tuple[tuple[str, bool, bool], ...] = (
    # label, is default, is converted
    ("Open - Not Contacted", True, False),
    ("Working - Contacted", False, False),
    ("Qualified", False, False),
    ("Closed - Converted", False, True),
    ("Closed - Not Converted", False, False),
)

# Lead field → (Contact field, Account field) copied on conversion.
LEAD_CONVERSION_MAP: dict[str, tuple[str | None, str | None]] = {
    "Salutation": ("Salutation", None),
    "FirstName": ("FirstName", None),
    "LastName": ("LastName", None),
    "Email": ("Email", None),
    "Title": ("Title", None),
    "Phone": ("Phone", "Phone"),
    "MobilePhone": ("MobilePhone", None),
    "Fax": ("Fax", "Fax"),
    "Street": ("MailingStreet", "BillingStreet"),
    "City": ("MailingCity", "BillingCity"),
    "State": ("MailingState", "BillingState"),
    "PostalCode": ("MailingPostalCode", "BillingPostalCode"),
    "Country": ("MailingCountry", "BillingCountry"),
    "LeadSource": ("LeadSource", "AccountSource"),
    "HasOptedOutOfEmail": ("HasOptedOutOfEmail", None),
    "DoNotCall": ("DoNotCall", None),
    "Description": ("Description", None),
    "Website": (None, "Website"),
    "Industry": (None, "Industry"),
    "AnnualRevenue": (None, "AnnualRevenue"),
    "NumberOfEmployees": (None, "NumberOfEmployees"),
}


def opportunity_stage_flags(stage: str | None) -> dict[str, Any]:
    """IsClosed / IsWon follow the stage, as the OpportunityStage settings make them."""
    closed = stage in {"Closed Won", "Closed Lost"}
    return {"IsClosed": int(closed), "IsWon": int(stage == "Closed Won")}
