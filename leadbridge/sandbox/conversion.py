"""Lead conversion and record merge, as a sales rep does them (SOAP convertLead and merge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from . import ids, save_rules
from .exceptions import SalesforceError
from .org import Org, Row, SaveOptions
from .records import LEAD_CONVERSION_MAP, MERGE_REPARENT
from .storage import quote


@dataclass(frozen=True)
class LeadConvert:
    lead_id: str
    converted_status: str | None = None
    account_id: str | None = None
    contact_id: str | None = None
    do_not_create_opportunity: bool = False
    opportunity_name: str | None = None
    owner_id: str | None = None
    overwrite_lead_source: bool = False


@dataclass
class ConvertResult:
    lead_id: str
    account_id: str
    contact_id: str
    opportunity_id: str | None


@dataclass
class MergeResult:
    id: str
    merged_record_ids: list[str]
    updated_related_ids: list[str] = field(default_factory=list)


def convert_lead(
    org: Org, request: LeadConvert, options: SaveOptions | None = None
) -> ConvertResult:
    """Convert one lead: create or reuse the contact and account, maybe create an opportunity."""
    options = options or SaveOptions()
    lead_obj = org.object("Lead")
    with org.db.transaction():
        lead = org.require_live(lead_obj, request.lead_id)
        if lead.get("IsConverted"):
            raise SalesforceError(
                "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", fields=[]
            )
        status = _converted_status(org, request.converted_status)
        owner = request.owner_id or str(lead["OwnerId"])
        account_id = _account_for(org, lead, request, owner, options)
        contact_id = _contact_for(org, lead, request, account_id, owner, options)
        opportunity_id = None
        if not request.do_not_create_opportunity:
            opportunity_id = _create_opportunity(
                org, lead, request, account_id, contact_id, owner, options
            )
        _move_campaign_memberships(org, str(lead["Id"]), contact_id, options)
        org.write_update(
            lead_obj,
            lead,
            {
                "IsConverted": 1,
                "ConvertedDate": org.today().isoformat(),
                "ConvertedAccountId": account_id,
                "ConvertedContactId": contact_id,
                "ConvertedOpportunityId": opportunity_id,
                "Status": status,
            },
            options,
        )
        return ConvertResult(str(lead["Id"]), account_id, contact_id, opportunity_id)


def _converted_status(org: Org, requested: str | None) -> str:
    rows = org.db.conn.execute(
        'SELECT "MasterLabel" FROM "LeadStatus" WHERE "IsConverted" = 1 ORDER BY "SortOrder"'
    ).fetchall()
    allowed = [str(row[0]) for row in rows]
    if requested is None:
        return allowed[0]
    for label in allowed:
        if label.lower() == requested.lower():
            return label
    raise SalesforceError(
        "INVALID_STATUS", f"invalid convertedStatus: {requested}", fields=["convertedStatus"]
    )


def _copied(lead: Row, target: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for lead_field, targets in LEAD_CONVERSION_MAP.items():
        name = targets[target]
        if name and lead.get(lead_field) is not None:
            values[name] = lead[lead_field]
    return values


def _fill_empty(
    org: Org,
    object_name: str,
    record_id: str,
    values: dict[str, Any],
    options: SaveOptions,
    overwrite: set[str],
) -> None:
    """Merge into an existing record: only empty fields are filled (and `overwrite` ones)."""
    obj = org.object(object_name)
    existing = org.require_live(obj, record_id)
    changes = {
        name: value
        for name, value in values.items()
        if existing.get(name) in (None, "") or name in overwrite
    }
    if changes:
        org.write_update(obj, existing, changes, options)


def _account_for(
    org: Org, lead: Row, request: LeadConvert, owner: str, options: SaveOptions
) -> str:
    values = _copied(lead, 1)
    if request.account_id:
        account_id = ids.to18(request.account_id)
        _fill_empty(org, "Account", account_id, values, options, set())
        return account_id
    values.update({"Name": lead.get("Company") or lead.get("LastName"), "OwnerId": owner})
    return _insert(org, "Account", values, options)


def _contact_for(
    org: Org, lead: Row, request: LeadConvert, account_id: str, owner: str, options: SaveOptions
) -> str:
    values = _copied(lead, 0)
    values.update(_shared_custom_fields(org, lead))
    if request.contact_id:
        contact_id = ids.to18(request.contact_id)
        overwrite = {"LeadSource"} if request.overwrite_lead_source else set()
        _fill_empty(org, "Contact", contact_id, values, options, overwrite)
        return contact_id
    values.update({"AccountId": account_id, "OwnerId": owner})
    return _insert(org, "Contact", values, options)


def _shared_custom_fields(org: Org, lead: Row) -> dict[str, Any]:
    """Custom lead fields copied to the contact field of the same API name (lead mapping)."""
    contact = org.object("Contact")
    values: dict[str, Any] = {}
    for name, value in lead.items():
        target = contact.field(name)
        if not name.endswith("__c") or value is None or target is None:
            continue
        if target.unique and org.find_by_external_id(contact, target.name, str(value)):
            continue
        values[target.name] = value
    return values


def _create_opportunity(
    org: Org,
    lead: Row,
    request: LeadConvert,
    account_id: str,
    contact_id: str,
    owner: str,
    options: SaveOptions,
) -> str:
    name = request.opportunity_name or f"{lead.get('Company') or lead.get('LastName')}-"
    opportunity_id = _insert(
        org,
        "Opportunity",
        {
            "Name": name[:120],
            "AccountId": account_id,
            "StageName": "Prospecting",
            "CloseDate": (org.today() + timedelta(days=30)).isoformat(),
            "LeadSource": lead.get("LeadSource"),
            "OwnerId": owner,
        },
        options,
    )
    _insert(
        org,
        "OpportunityContactRole",
        {"OpportunityId": opportunity_id, "ContactId": contact_id, "IsPrimary": 1},
        options,
    )
    return opportunity_id


def _insert(org: Org, object_name: str, values: dict[str, Any], options: SaveOptions) -> str:
    obj = org.object(object_name)
    row = save_rules.defaults(org, obj, options)
    row.update(values)
    save_rules.derive(obj, row)
    row["CreatedById"] = options.actor_id or org.admin_user_id
    record_id = ids.make_id(obj.key_prefix, org.db.allocate_rowids(obj))
    org.insert_with_id(obj, record_id, row)
    return record_id


def _move_campaign_memberships(
    org: Org, lead_id: str, contact_id: str, options: SaveOptions
) -> None:
    """The converted contact joins every campaign the lead was a member of."""
    rows = org.db.conn.execute(
        'SELECT "CampaignId", "Status" FROM "CampaignMember" WHERE "LeadId" = ? '
        'AND "IsDeleted" = 0',
        (lead_id,),
    ).fetchall()
    for campaign_id, status in rows:
        exists = org.db.conn.execute(
            'SELECT 1 FROM "CampaignMember" WHERE "CampaignId" = ? AND "ContactId" = ? '
            'AND "IsDeleted" = 0',
            (campaign_id, contact_id),
        ).fetchone()
        if not exists:
            org.create(
                "CampaignMember",
                {"CampaignId": campaign_id, "ContactId": contact_id, "Status": status},
                options,
            )


def merge(
    org: Org,
    object_name: str,
    master_id: str,
    loser_ids: list[str],
    master_values: dict[str, Any] | None = None,
    options: SaveOptions | None = None,
) -> MergeResult:
    """Merge up to two records into the master: losers deleted with MasterRecordId set."""
    options = options or SaveOptions()
    obj = org.object(object_name)
    if not obj.mergeable:
        raise SalesforceError(
            "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} cannot be merged"
        )
    if not 1 <= len(loser_ids) <= 2:
        raise SalesforceError(
            "INVALID_ID_FIELD", "A merge request needs one or two records to merge into the master"
        )
    with org.db.transaction():
        master = org.require_live(obj, master_id)
        master_key = str(master["Id"])
        losers = [org.require_live(obj, loser) for loser in loser_ids]
        if any(str(loser["Id"]) == master_key for loser in losers):
            raise SalesforceError("INVALID_ID_FIELD", "The master record is also a record to merge")
        if master_values:
            org.update(obj.name, master_key, master_values, options)
        updated = _reparent_children(org, obj.name, master_key, [str(row["Id"]) for row in losers])
        for loser in losers:
            org.delete(str(loser["Id"]), options)
            org.db.conn.execute(
                f'UPDATE {quote(obj.name)} SET "MasterRecordId" = ? WHERE "Id" = ?',
                (master_key, loser["Id"]),
            )
        return MergeResult(master_key, [str(row["Id"]) for row in losers], updated)


def _reparent_children(
    org: Org, object_name: str, master_id: str, loser_ids: list[str]
) -> list[str]:
    updated: list[str] = []
    for child_name, field_name in MERGE_REPARENT.get(object_name, ()):
        if org.schema.object(child_name) is None:
            continue
        for loser_id in loser_ids:
            rows = org.db.conn.execute(
                f'SELECT "Id" FROM {quote(child_name)} WHERE {quote(field_name)} = ? '
                'AND "IsDeleted" = 0',
                (loser_id,),
            ).fetchall()
            for (child_id,) in rows:
                if child_name == "CampaignMember" and _already_member(
                    org, child_id, field_name, master_id
                ):
                    continue
                org.db.conn.execute(
                    f'UPDATE {quote(child_name)} SET {quote(field_name)} = ? WHERE "Id" = ?',
                    (master_id, child_id),
                )
                updated.append(str(child_id))
    return updated


def _already_member(org: Org, member_id: str, field_name: str, master_id: str) -> bool:
    campaign = org.db.conn.execute(
        'SELECT "CampaignId" FROM "CampaignMember" WHERE "Id" = ?', (member_id,)
    ).fetchone()
    clash = org.db.conn.execute(
        f'SELECT 1 FROM "CampaignMember" WHERE "CampaignId" = ? AND {quote(field_name)} = ? '
        'AND "IsDeleted" = 0',
        (campaign[0], master_id),
    ).fetchone()
    return clash is not None
