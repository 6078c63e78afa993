"""Verifying the connector: log in, describe the objects sync needs, create the default mappings.

Everything found wrong is reported in plain words instead of stopping at the first problem, so
an administrator can fix the org in one pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from leadbridge.connector.org_fields import HOW_TO_ADD, MissingField, missing_fields
from leadbridge.domain.fields import (
    DEFAULT_ACCOUNT_MAPPINGS,
    DEFAULT_MAPPINGS,
    LEADBRIDGE_OWNED,
    DefaultMapping,
)
from leadbridge.errors import CrmError
from leadbridge.ports import CrmClient, CrmObject

REQUIRED_OBJECTS = ("Lead", "Contact", "Account", "User")
OPTIONAL_OBJECTS = ("Opportunity", "OpportunityContactRole", "Campaign", "CampaignMember")
# What each optional object makes possible, for the plain-words report.
OPTIONAL_PURPOSE = {
    "Opportunity": "opportunities will not be mirrored",
    "OpportunityContactRole": "opportunities cannot be linked to prospects",
    "Campaign": "Salesforce campaigns will not be mirrored",
    "CampaignMember": "prospects cannot be added to Salesforce campaigns",
}


@dataclass
class MappingOutcome:
    field: str
    lead_field: str | None
    contact_field: str | None
    behaviour: str
    created: bool


@dataclass
class VerifyReport:
    objects: dict[str, int] = field(default_factory=dict)  # object → number of fields
    custom_objects: list[str] = field(default_factory=list)
    mappings: list[MappingOutcome] = field(default_factory=list)
    account_mappings: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # leadbridge's own fields the org lacks (key, score, grade, campaign) and what each costs.
    missing_fields: list[MissingField] = field(default_factory=list)
    # Objects the org publishes Change Data Capture events for (None: it could not tell).
    change_data_capture: list[str] | None = None
    change_data_capture_note: str = ""

    @property
    def ok(self) -> bool:
        return all(name in self.objects for name in REQUIRED_OBJECTS)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


# The org cannot be talked to at all: saying each object is unreadable would mislead.
UNREACHABLE = frozenset({"TLS_ERROR"})


def describe_org(
    client: CrmClient, *, custom_objects_allowed: bool, report: VerifyReport
) -> dict[str, CrmObject]:
    """Describe what sync needs; missing objects become problems, not exceptions."""
    names = [*REQUIRED_OBJECTS, *OPTIONAL_OBJECTS]
    if custom_objects_allowed:
        report.custom_objects = sorted(client.custom_objects())
        names += report.custom_objects
    described: dict[str, CrmObject] = {}
    try:
        described = client.describe(names)
    except CrmError as exc:
        if exc.error_code in UNREACHABLE:
            raise
        described = {}
        for name in names:  # one by one to name exactly what is not visible
            try:
                described.update(client.describe([name]))
            except CrmError as exc:
                report.problems.append(_missing_object(name, exc))
    for name in names:
        if name in described:
            report.objects[name] = len(described[name].fields)
        elif not any(name in problem for problem in report.problems):
            report.problems.append(_missing_object(name, None))
    return described


def check_leadbridge_fields(described: dict[str, CrmObject], report: VerifyReport) -> None:
    """Report leadbridge's own fields the org lacks, each with its cost, then how to add them."""
    report.missing_fields = missing_fields(described)
    report.problems.extend(missing.problem() for missing in report.missing_fields)
    if report.missing_fields:
        report.problems.append(HOW_TO_ADD)


def _missing_object(name: str, exc: CrmError | None) -> str:
    reason = f" ({exc.error_code}: {exc.message})" if exc else ""
    if name in REQUIRED_OBJECTS:
        return (
            f"The connector user cannot read {name}{reason}. Sync needs it: give the "
            "connector user read and edit access to it."
        )
    consequence = OPTIONAL_PURPOSE.get(name, "its records will not be mirrored")
    return f"The connector user cannot read {name}{reason}, so {consequence}."


def default_mapping_problems(
    mapping: DefaultMapping,
    lead: CrmObject | None,
    contact: CrmObject | None,
    account: CrmObject | None,
) -> tuple[str | None, str | None, list[str]]:
    """The Lead and Contact fields a default mapping can use in this org, and what is missing."""
    problems: list[str] = []
    lead_field = mapping.lead_field if _has(lead, mapping.lead_field) else None
    contact_field = mapping.contact_field
    if contact_field and contact_field.startswith("Account."):
        contact_field = contact_field if _has(account, contact_field[8:]) else None
    elif not _has(contact, contact_field):
        contact_field = None
    for wanted, found, object_name in (
        (mapping.lead_field, lead_field, "Lead"),
        (mapping.contact_field, contact_field, "Contact"),
    ):
        # leadbridge's own fields are reported with their cost by check_leadbridge_fields.
        if wanted and not found and mapping.field not in LEADBRIDGE_OWNED:
            problems.append(_missing_field(mapping.field, object_name, wanted))
    return lead_field, contact_field, problems


def _missing_field(prospect_field: str, object_name: str, api_name: str) -> str:
    return (
        f"{object_name} has no field {api_name} (or the connector user cannot see it), so "
        f"{prospect_field} will not sync with {object_name}s."
    )


def _has(obj: CrmObject | None, api_name: str | None) -> bool:
    return bool(obj and api_name and obj.field(api_name) is not None)


def account_mappings(account: CrmObject | None) -> list[tuple[str, str]]:
    return [(ours, theirs) for ours, theirs in DEFAULT_ACCOUNT_MAPPINGS if _has(account, theirs)]


def default_mappings() -> tuple[DefaultMapping, ...]:
    return DEFAULT_MAPPINGS
