"""Pure rules of connecting an org: which fields map, and why a mapping is refused."""

from __future__ import annotations

import pytest

from leadbridge.connector.fields import check_mappable
from leadbridge.connector.schema_codec import object_from_json, object_to_json
from leadbridge.connector.verify import default_mapping_problems
from leadbridge.domain.fields import DEFAULT_MAPPINGS, FieldType
from leadbridge.errors import (
    ConflictError,
    CrmDataError,
    CrmDuplicateError,
    CrmGoneError,
    CrmLimitError,
    CrmTransientError,
    InputError,
    crm_error,
)
from leadbridge.ports import CrmField, CrmObject


def obj(name: str, *fields: CrmField) -> CrmObject:
    return CrmObject(name, name, False, {field.name: field for field in fields})


def text(name: str, **extra: object) -> CrmField:
    return CrmField(name=name, label=name, type=str(extra.pop("type", "string")), **extra)  # type: ignore[arg-type]


LEAD = obj(
    "Lead",
    text("FirstName"),
    text("Email", type="email"),
    text("Tier__c"),
    text("Plan__c", type="picklist", picklist_values=("Free", "Pro", "Gold")),
    text("Owner__c", type="reference", reference_to=("User",)),
    text("Score__c", type="double"),
    text("Formula__c", calculated=True, updateable=False),
)
CONTACT = obj(
    "Contact",
    text("FirstName"),
    text("Email", type="email"),
    text("Tier__c"),
    text("Plan__c", type="picklist", picklist_values=("Pro", "Free")),
    text("Owner__c", type="reference", reference_to=("User",)),
    text("Score__c", type="double"),
    text("Formula__c", calculated=True, updateable=False),
)


def test_a_field_present_on_both_objects_maps() -> None:
    mappable = check_mappable("tier", FieldType.TEXT, "tier__c", LEAD, CONTACT, None)
    assert mappable.api_name == "Tier__c"


def test_dropdown_values_come_from_the_picklist_on_both_objects() -> None:
    mappable = check_mappable("plan", FieldType.DROPDOWN, "Plan__c", LEAD, CONTACT, None)
    assert mappable.picklist_values == ("Free", "Pro")


@pytest.mark.parametrize(
    ("api_name", "field_type", "reason"),
    [
        ("Nope__c", FieldType.TEXT, "no field Nope__c on Lead or Contact"),
        ("Owner__c", FieldType.TEXT, "is a lookup"),
        ("Formula__c", FieldType.TEXT, "read-only"),
        ("Score__c", FieldType.CHECKBOX, "cannot hold checkbox values"),
    ],
)
def test_refusals_say_why(api_name: str, field_type: FieldType, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as refused:
        check_mappable("f", field_type, api_name, LEAD, CONTACT, None)
    assert refused.value.item == f"mapping f → {api_name}"


def test_missing_on_one_object_names_it() -> None:
    lead = obj("Lead", text("Only__c"))
    with pytest.raises(InputError, match="on Contact"):
        check_mappable("only", FieldType.TEXT, "Only__c", lead, CONTACT, None)


def test_an_already_mapped_field_is_refused() -> None:
    with pytest.raises(ConflictError, match="already mapped to the field other"):
        check_mappable("tier", FieldType.TEXT, "Tier__c", LEAD, CONTACT, "other")


def test_default_mappings_drop_fields_the_org_lacks() -> None:
    website = next(m for m in DEFAULT_MAPPINGS if m.field == "website")
    lead_field, contact_field, problems = default_mapping_problems(website, LEAD, CONTACT, None)
    assert (lead_field, contact_field) == (None, None)
    assert problems == [
        "Lead has no field Website (or the connector user cannot see it), so "
        "website will not sync with Leads."
    ]
    company = next(m for m in DEFAULT_MAPPINGS if m.field == "company")
    account = obj("Account", text("Name"))
    lead = obj("Lead", text("Company"))
    assert default_mapping_problems(company, lead, CONTACT, account)[:2] == (
        "Company",
        "Account.Name",
    )


def test_schema_round_trips_through_json() -> None:
    assert object_from_json(object_to_json(LEAD)) == LEAD


@pytest.mark.parametrize(
    ("code", "status", "group"),
    [
        ("SERVER_UNAVAILABLE", 503, CrmTransientError),
        ("SOMETHING_NEW", 502, CrmTransientError),
        ("REQUEST_LIMIT_EXCEEDED", 403, CrmLimitError),
        ("DUPLICATES_DETECTED", 400, CrmDuplicateError),
        ("ENTITY_IS_DELETED", 404, CrmGoneError),
        ("STRING_TOO_LONG", 400, CrmDataError),
    ],
)
def test_errors_are_grouped_by_what_to_do(code: str, status: int, group: type) -> None:
    error = crm_error(code, "message", fields=["Email"], status=status)
    assert type(error) is group
    assert (error.error_code, error.fields, error.status) == (code, ["Email"], status)
    assert error.retryable == (group is CrmTransientError)
