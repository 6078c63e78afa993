"""A small Lead and Contact schema, as `connector verify` would store it, for the pure rules."""

from __future__ import annotations

from leadbridge.domain.field_rules import FieldRule
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.ports import CrmField, CrmObject


def field(name: str, kind: str = "string", **options: object) -> CrmField:
    return CrmField(name=name, label=name, type=kind, **options)  # type: ignore[arg-type]


def crm_object(name: str, *fields: CrmField) -> CrmObject:
    system = (
        field("Id", "id", createable=False, updateable=False, nillable=False),
        field("LastModifiedDate", "datetime", createable=False, updateable=False),
        field("OwnerId", "reference", reference_to=("User",)),
        field("Email", "email", length=80),
        field("LastName", "string", length=80, nillable=False),
        field("FirstName", "string", length=40),
        field("Title", "string", length=128),
        field("Phone", "phone", length=40),
        field("HasOptedOutOfEmail", "boolean", nillable=False, defaulted_on_create=True),
        field("LeadBridge_Score__c", "double"),
        field("LeadBridge_Prospect_Id__c", "string", length=36, external_id=True, unique=True),
        field("Name", "string", length=121, calculated=True, createable=False, updateable=False),
    )
    every = {f.name: f for f in (*system, *fields)}
    return CrmObject(name, name, False, every)


LEAD = crm_object(
    "Lead",
    field("Company", "string", length=255, nillable=False),
    field(
        "Status",
        "picklist",
        restricted_picklist=True,
        picklist_values=("Open", "Working", "Qualified"),
        defaulted_on_create=True,
        nillable=False,
    ),
    field("AnnualRevenue", "currency"),
    field("Founded__c", "date"),
)
CONTACT = crm_object("Contact", field("Department", "string", length=80))

S, L, R = SyncBehaviour.USE_SALESFORCE, SyncBehaviour.USE_LEADBRIDGE, SyncBehaviour.MOST_RECENT
LEAD_RULES = (
    FieldRule("email", "Email", S),
    FieldRule("first_name", "FirstName", S),
    FieldRule("last_name", "LastName", S),
    FieldRule("job_title", "Title", S),
    FieldRule("phone", "Phone", L),
    FieldRule("company", "Company", S),
    FieldRule("opted_out", "HasOptedOutOfEmail", R),
    FieldRule("score", "LeadBridge_Score__c", L, owned=True),
    FieldRule("annual_revenue", "AnnualRevenue", S),
    FieldRule("lead_status", "Status", L),
    FieldRule("founded", "Founded__c", L),
)
