"""Prospect fields, custom field types, sync behaviours and the default field mappings.

The field mapping is the one place where leadbridge's snake_case names meet Salesforce's API
names (`FirstName`, `HasOptedOutOfEmail`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from leadbridge.errors import InputError


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHECKBOX = "checkbox"
    DROPDOWN = "dropdown"
    MULTISELECT = "multiselect"


class SyncBehaviour(StrEnum):
    """Which side wins when both changed: ours, Salesforce's, or the most recent change."""

    USE_LEADBRIDGE = "use_leadbridge"
    USE_SALESFORCE = "use_salesforce"
    MOST_RECENT = "most_recent"


class Origin(StrEnum):
    """Who made a change, for the audit log."""

    USER = "user"
    API = "api"
    IMPORT = "import"
    FORM = "form"
    AUTOMATION = "automation"
    SALESFORCE = "salesforce"
    SYSTEM = "system"


@dataclass(frozen=True)
class ProspectField:
    name: str
    label: str
    type: FieldType
    max_length: int | None = None


# The default prospect fields (leadbridge-owned ones last).
DEFAULT_FIELDS: tuple[ProspectField, ...] = (
    ProspectField("salutation", "Salutation", FieldType.TEXT, 40),
    ProspectField("first_name", "First Name", FieldType.TEXT, 40),
    ProspectField("last_name", "Last Name", FieldType.TEXT, 80),
    ProspectField("email", "Email", FieldType.TEXT, 255),
    ProspectField("job_title", "Job Title", FieldType.TEXT, 128),
    ProspectField("department", "Department", FieldType.TEXT, 80),
    ProspectField("company", "Company", FieldType.TEXT, 255),
    ProspectField("website", "Website", FieldType.TEXT, 255),
    ProspectField("phone", "Phone", FieldType.TEXT, 40),
    ProspectField("fax", "Fax", FieldType.TEXT, 40),
    ProspectField("address_one", "Address One", FieldType.TEXT, 255),
    ProspectField("address_two", "Address Two", FieldType.TEXT, 255),
    ProspectField("city", "City", FieldType.TEXT, 40),
    ProspectField("state", "State", FieldType.TEXT, 80),
    ProspectField("zip", "Zip", FieldType.TEXT, 20),
    ProspectField("country", "Country", FieldType.TEXT, 80),
    ProspectField("industry", "Industry", FieldType.TEXT, 255),
    ProspectField("annual_revenue", "Annual Revenue", FieldType.NUMBER),
    ProspectField("employees", "Employees", FieldType.NUMBER),
    ProspectField("source", "Source", FieldType.TEXT, 255),
    ProspectField("comments", "Comments", FieldType.TEXT, 32000),
    ProspectField("notes", "Notes", FieldType.TEXT, 32000),
    ProspectField("opted_out", "Opted Out", FieldType.CHECKBOX),
    ProspectField("do_not_email", "Do Not Email", FieldType.CHECKBOX),
    ProspectField("do_not_call", "Do Not Call", FieldType.CHECKBOX),
    ProspectField("score", "Score", FieldType.NUMBER),
    ProspectField("grade", "Grade", FieldType.TEXT, 5),
    ProspectField("marketing_campaign", "Campaign", FieldType.TEXT, 255),
)
DEFAULT_FIELD_NAMES = frozenset(field.name for field in DEFAULT_FIELDS)
# The upsert key: the prospect's id in Salesforce (an External ID, unique) when the org has it.
PROSPECT_KEY_FIELD = "LeadBridge_Prospect_Id__c"
# Fields leadbridge owns: their value always comes from leadbridge.
LEADBRIDGE_OWNED = frozenset({"score", "grade", "marketing_campaign"})
# The prospect's identity: its sync rule is fixed; whether an email changed in Salesforce
# changes the prospect's is the connector setting `apply_crm_email_changes`.
IDENTITY_FIELD = "email"


@dataclass(frozen=True)
class DefaultMapping:
    """A default field's Salesforce counterparts; None where the object has no such field."""

    field: str
    lead_field: str | None
    contact_field: str | None
    behaviour: SyncBehaviour = SyncBehaviour.USE_SALESFORCE


_S, _R, _L = SyncBehaviour.USE_SALESFORCE, SyncBehaviour.MOST_RECENT, SyncBehaviour.USE_LEADBRIDGE

# Pardot's defaults; Contact's company is its Account's name (read through the relationship).
DEFAULT_MAPPINGS: tuple[DefaultMapping, ...] = (
    DefaultMapping("salutation", "Salutation", "Salutation"),
    DefaultMapping("first_name", "FirstName", "FirstName"),
    DefaultMapping("last_name", "LastName", "LastName"),
    DefaultMapping("email", "Email", "Email"),
    DefaultMapping("job_title", "Title", "Title"),
    DefaultMapping("department", None, "Department"),
    DefaultMapping("company", "Company", "Account.Name"),
    DefaultMapping("website", "Website", None),
    DefaultMapping("phone", "Phone", "Phone"),
    DefaultMapping("fax", "Fax", "Fax"),
    DefaultMapping("address_one", "Street", "MailingStreet"),
    DefaultMapping("city", "City", "MailingCity"),
    DefaultMapping("state", "State", "MailingState"),
    DefaultMapping("zip", "PostalCode", "MailingPostalCode"),
    DefaultMapping("country", "Country", "MailingCountry"),
    DefaultMapping("industry", "Industry", None),
    DefaultMapping("annual_revenue", "AnnualRevenue", None),
    DefaultMapping("employees", "NumberOfEmployees", None),
    DefaultMapping("source", "LeadSource", "LeadSource"),
    DefaultMapping("comments", "Description", "Description"),
    DefaultMapping("opted_out", "HasOptedOutOfEmail", "HasOptedOutOfEmail", _R),
    DefaultMapping("do_not_call", "DoNotCall", "DoNotCall", _R),
    DefaultMapping("score", "LeadBridge_Score__c", "LeadBridge_Score__c", _L),
    DefaultMapping("grade", "LeadBridge_Grade__c", "LeadBridge_Grade__c", _L),
    DefaultMapping("marketing_campaign", "LeadBridge_Campaign__c", "LeadBridge_Campaign__c", _L),
)

# Prospect account field → Account field (pull only: accounts are read-only in leadbridge).
DEFAULT_ACCOUNT_MAPPINGS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("website", "Website"),
    ("phone", "Phone"),
    ("fax", "Fax"),
    ("industry", "Industry"),
    ("annual_revenue", "AnnualRevenue"),
    ("employees", "NumberOfEmployees"),
    ("billing_street", "BillingStreet"),
    ("billing_city", "BillingCity"),
    ("billing_state", "BillingState"),
    ("billing_zip", "BillingPostalCode"),
    ("billing_country", "BillingCountry"),
    ("type", "Type"),
    ("rating", "Rating"),
    ("description", "Description"),
)

# Salesforce field types that can hold each custom field type's values.
COMPATIBLE_CRM_TYPES: dict[FieldType, frozenset[str]] = {
    FieldType.TEXT: frozenset(
        {"string", "textarea", "email", "phone", "url", "picklist", "combobox"}
    ),
    FieldType.NUMBER: frozenset({"double", "int", "currency", "percent"}),
    FieldType.DATE: frozenset({"date", "datetime"}),
    FieldType.CHECKBOX: frozenset({"boolean"}),
    FieldType.DROPDOWN: frozenset({"picklist", "string", "combobox"}),
    FieldType.MULTISELECT: frozenset({"multipicklist"}),
}
UNMAPPABLE_CRM_TYPES = frozenset({"reference", "location", "address", "id", "base64"})

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_custom_field_name(name: str) -> str:
    """A custom field's name: snake_case, not clashing with a default field."""
    if not _FIELD_NAME.match(name):
        raise InputError(
            "use lower-case letters, digits and underscores, starting with a letter "
            "(at most 63 characters)",
            item=f"field name {name!r}",
        )
    if name in DEFAULT_FIELD_NAMES:
        raise InputError("is a default prospect field", item=f"field name {name!r}")
    return name
