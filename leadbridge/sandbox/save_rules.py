"""Salesforce's save rules for one record: value checks, defaults and formulas, required
fields, references and owners, object-specific rules, uniqueness, validation and duplicate
rules. `Org` runs them in this order inside a savepoint, so a failure leaves nothing behind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .exceptions import SalesforceError, invalid_field_on_sobject
from .records import opportunity_stage_flags
from .schema import ObjectDef
from .soql import compile_condition
from .soql.dates import utc_today
from .soql.values import SqlParam
from .storage import quote
from .values import StoredValue, to_storage

if TYPE_CHECKING:
    from .org import Org, Row, SaveOptions


def prepare(
    org: Org,
    obj: ObjectDef,
    values: Mapping[str, Any],
    existing: Row | None,
    options: SaveOptions,
) -> Row:
    """Checked stored values to write (all fields on create, the changes on update)."""
    changes = _convert_values(org, obj, values, creating=existing is None)
    if existing is None:
        row = defaults(org, obj, options)
        row.update(changes)
    else:
        row = {**existing, **changes}
    derive(obj, row)
    _check_required(org, obj, row, changes, creating=existing is None)
    _check_references(org, obj, row, changes if existing is not None else row)
    _check_object_rules(org, obj, row, existing)
    _check_unique(org, obj, row, changes if existing is not None else row)
    if existing is None:
        return row
    return {key: value for key, value in row.items() if existing.get(key) != value}


def _convert_values(org: Org, obj: ObjectDef, values: Mapping[str, Any], *, creating: bool) -> Row:
    converted: Row = {}
    not_writable: list[str] = []
    for name, value in values.items():
        if name == "attributes":
            continue
        field = obj.field(name)
        if field is None:
            raise invalid_field_on_sobject(name, obj.name)
        if field.name == "Id" and not creating:
            continue  # composite PATCH bodies carry the Id; it names the record
        allowed = field.createable if creating else field.updateable
        if not allowed:
            not_writable.append(field.name)
            continue
        converted[field.name] = to_storage(field, value)
    if not_writable:
        raise SalesforceError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(not_writable)}. Please check the "
            "security settings of this field and verify that it is read/write for your "
            "profile or permission set.",
            fields=not_writable,
        )
    return converted


def defaults(org: Org, obj: ObjectDef, options: SaveOptions) -> Row:
    row: Row = dict(obj.default_values)
    if obj.field("OwnerId") is not None:
        row["OwnerId"] = options.actor_id or org.admin_user_id
    row["IsDeleted"] = 0
    return row


def derive(obj: ObjectDef, row: Row) -> None:
    """Formula fields and values Salesforce derives from others."""
    for field in obj.formula_fields:
        text = field.formula or ""
        for name in field.formula_inputs():
            value = row.get(name)
            text = text.replace("{" + name + "}", "" if value is None else str(value))
        row[field.name] = " ".join(text.split()) or None
    if obj.name == "Opportunity":
        row.update(opportunity_stage_flags(_as_str(row.get("StageName"))))
    elif obj.name == "Group" and not row.get("DeveloperName") and row.get("Name"):
        row["DeveloperName"] = developer_name(str(row["Name"]))


def developer_name(label: str) -> str:
    """The API name Salesforce makes of a label when none is given: letters, digits and
    single underscores, starting with a letter (`Inbound leads (EMEA)` → `Inbound_leads_EMEA`)."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")
    if not name or not name[0].isalpha():
        name = "X" + (name and "_" + name)
    return name[:80].rstrip("_")


def _check_required(org: Org, obj: ObjectDef, row: Row, changes: Row, *, creating: bool) -> None:
    missing = [
        field.name
        for field in obj.required_fields
        if row.get(field.name) is None and (creating or field.name in changes)
    ]
    if obj.name == "CampaignMember" and not row.get("LeadId") and not row.get("ContactId"):
        missing.append("LeadId")
    if missing:
        raise SalesforceError(
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(missing)}]",
            fields=missing,
        )


def _check_references(org: Org, obj: ObjectDef, row: Row, written: Row) -> None:
    references = obj.reference_fields
    for name, value in written.items():
        field = references.get(name)
        if field is None or value is None:
            continue
        target = org.schema.object_for_id(str(value))
        if target is None or target.name not in field.reference_to:
            raise SalesforceError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"{field.label}: id value of incorrect type: {value}",
                fields=[field.name],
            )
        parent = _live_parent(org, target, str(value))
        if parent is None:
            raise SalesforceError(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                fields=[field.name],
            )
        if target.name == "Group" and not _may_own(org, parent, obj, field):
            raise SalesforceError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"{field.label}: id value of incorrect type: {value}",
                fields=[field.name],
            )
        if target.name == "User" and field.name == "OwnerId" and not parent.get("IsActive"):
            raise SalesforceError(
                "INACTIVE_OWNER_OR_USER",
                f"operation performed with inactive user [{str(value)[:15]}] as owner of "
                f"{obj.label.lower()}",
                fields=[],
            )


def _live_parent(org: Org, target: ObjectDef, record_id: str) -> Row | None:
    """The columns the reference checks read of a live parent record, or None."""
    columns = [name for name in ("Id", "IsActive", "Type") if target.field(name) is not None]
    found = org.db.conn.execute(
        f"SELECT {', '.join(quote(name) for name in columns)} FROM {quote(target.name)} "
        'WHERE "Id" = ? AND "IsDeleted" = 0',
        (record_id,),
    ).fetchone()
    return None if found is None else dict(zip(columns, found, strict=True))


def _may_own(org: Org, group: Row, obj: ObjectDef, field: Any) -> bool:
    """Whether this Group may be the record's owner: only a queue, and only of the objects
    its QueueSobject rows name (Salesforce refuses any other group as an invalid id type).
    Other references to Group (QueueSobject.QueueId) take any group; see `_check_queue`."""
    if field.name != "OwnerId":
        return True
    if group.get("Type") != "Queue":
        return False
    return queue_supports(org, str(group["Id"]), obj.name)


def queue_supports(org: Org, queue_id: str, object_name: str) -> bool:
    found = org.db.conn.execute(
        'SELECT 1 FROM "QueueSobject" WHERE "QueueId" = ? AND "SobjectType" = ? '
        'AND "IsDeleted" = 0 LIMIT 1',
        (queue_id, object_name),
    ).fetchone()
    return found is not None


def _check_object_rules(org: Org, obj: ObjectDef, row: Row, existing: Row | None) -> None:
    if obj.name == "CampaignMember":
        _check_campaign_member(org, row, existing)
    elif obj.name == "QueueSobject" and existing is None:
        _check_queue_sobject(org, row)


def _check_queue_sobject(org: Org, row: Row) -> None:
    """A QueueSobject names a queue (a Group of Type Queue), once per object type."""
    queue_id = str(row["QueueId"])
    group = org.load(org.object("Group"), queue_id) or {}
    if group.get("Type") != "Queue":
        raise SalesforceError(
            "FIELD_INTEGRITY_EXCEPTION",
            f"Group ID: id value of incorrect type: {queue_id}",
            fields=["QueueId"],
        )
    if queue_supports(org, queue_id, str(row["SobjectType"])):
        raise SalesforceError(
            "DUPLICATE_VALUE",
            f"duplicate value found: SobjectType duplicates value on record with id: "
            f"{queue_id[:15]}",
            fields=[],
        )


def _check_campaign_member(org: Org, row: Row, existing: Row | None) -> None:
    if row.get("LeadId") and row.get("ContactId") and existing is None:
        raise SalesforceError(
            "FIELD_INTEGRITY_EXCEPTION",
            "A campaign member can be a lead or a contact, not both",
            fields=["LeadId", "ContactId"],
        )
    campaign_id = row["CampaignId"]
    statuses = org.db.conn.execute(
        'SELECT "Label", "IsDefault", "HasResponded" FROM "CampaignMemberStatus" '
        'WHERE "CampaignId" = ? AND "IsDeleted" = 0 ORDER BY "SortOrder"',
        (campaign_id,),
    ).fetchall()
    if row.get("Status") is None:
        default = next((status for status in statuses if status[1]), None)
        row["Status"] = None if default is None else str(default[0])
    chosen = next(
        (status for status in statuses if str(status[0]).lower() == str(row["Status"]).lower()),
        None,
    )
    if chosen is None:
        raise SalesforceError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"Status: bad value for restricted picklist field: {row['Status']}",
            fields=["Status"],
        )
    row["Status"] = str(chosen[0])
    if chosen[2] and not row.get("HasResponded"):
        row["HasResponded"] = 1
        row["FirstRespondedDate"] = org.clock.now().date().isoformat()
    if existing is None:
        _fill_member_copies(org, row)
        member_field = "LeadId" if row.get("LeadId") else "ContactId"
        duplicate = org.db.conn.execute(
            f'SELECT "Id" FROM "CampaignMember" WHERE "CampaignId" = ? AND '
            f'{quote(member_field)} = ? AND "IsDeleted" = 0',
            (campaign_id, row[member_field]),
        ).fetchone()
        if duplicate:
            raise SalesforceError("DUPLICATE_VALUE", "Already a campaign member.", fields=[])


def _fill_member_copies(org: Org, row: Row) -> None:
    person_id = row.get("LeadId") or row.get("ContactId")
    row["LeadOrContactId"] = person_id
    person_obj = org.object("Lead" if row.get("LeadId") else "Contact")
    person = org.load(person_obj, str(person_id)) or {}
    row["FirstName"] = person.get("FirstName")
    row["LastName"] = person.get("LastName")
    row["Email"] = person.get("Email")
    if person_obj.name == "Lead":
        row["CompanyOrAccount"] = person.get("Company")
    elif person.get("AccountId"):
        account = org.load(org.object("Account"), str(person["AccountId"])) or {}
        row["CompanyOrAccount"] = account.get("Name")


def _check_unique(org: Org, obj: ObjectDef, row: Row, written: Row) -> None:
    unique = obj.unique_fields
    for name in written:
        field = unique.get(name)
        if field is None or row.get(field.name) is None:
            continue
        clash = org.db.conn.execute(
            f'SELECT "Id" FROM {quote(obj.name)} WHERE {quote(field.name)} = ? '
            'AND "IsDeleted" = 0 AND ("Id" IS NOT ? ) LIMIT 1',
            (row[field.name], row.get("Id")),
        ).fetchone()
        if clash:
            raise SalesforceError(
                "DUPLICATE_VALUE",
                f"duplicate value found: {field.name} duplicates value on record with id: "
                f"{str(clash[0])[:15]}",
                fields=[],
            )


def run_rules(
    org: Org,
    obj: ObjectDef,
    record_id: str,
    operation: str,
    options: SaveOptions,
    written: Row | None = None,
) -> None:
    """Validation rules, then duplicate rules, against the record as written; `written` is
    that row when the caller has it (the duplicate rules then need not read it back)."""
    for rule in obj.validation_rules:
        if not rule.active:
            continue
        condition, params = _rule_sql(org, obj, rule.condition)
        hit = org.db.conn.execute(
            f'SELECT 1 FROM {quote(obj.name)} AS r WHERE r."Id" = ? AND ({condition})',
            (record_id, *params),
        ).fetchone()
        if hit:
            raise SalesforceError(
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                rule.message,
                fields=[rule.error_field] if rule.error_field else [],
            )
    for duplicate_rule in obj.duplicate_rules:
        if not duplicate_rule.active or operation not in duplicate_rule.operations:
            continue
        if duplicate_rule.action == "alert" and options.allow_duplicate_save:
            continue
        _check_duplicates(org, obj, record_id, duplicate_rule.name, options, written)


def _rule_sql(org: Org, obj: ObjectDef, condition: str) -> tuple[str, tuple[SqlParam, ...]]:
    """A validation rule's condition as SQL over the row aliased `r`: compiled once per
    object, rule and day (the compiled form depends on nothing else: relative dates such as
    TODAY are anchored on the day), not once per record saved."""
    now = org.clock.now()
    key = (obj.name, condition, utc_today(now))
    compiled = org.compiled_rules.get(key)
    if compiled is None:
        compiled = compile_condition(condition, obj, org.schema, alias="r", now=now)
        org.compiled_rules[key] = compiled
    return compiled


def _check_duplicates(
    org: Org,
    obj: ObjectDef,
    record_id: str,
    rule_name: str,
    options: SaveOptions,
    written: Row | None,
) -> None:
    rule = next(rule for rule in obj.duplicate_rules if rule.name == rule_name)
    row = written if written is not None else org.load(obj, record_id)
    assert row is not None
    fields = [obj.field(name) for name in rule.match_fields]
    values = [row.get(field.name) for field in fields if field is not None]
    if any(value is None for value in values) or not values:
        return
    condition = " AND ".join(f"{quote(field.name)} = ?" for field in fields if field)
    matches = org.db.conn.execute(
        f'SELECT "Id" FROM {quote(obj.name)} WHERE {condition} AND "IsDeleted" = 0 '
        'AND "Id" != ? LIMIT 50',
        (*values, record_id),
    ).fetchall()
    if not matches:
        return
    raise SalesforceError(
        "DUPLICATES_DETECTED",
        rule.message,
        fields=[],
        extra={"duplicateResut": _duplicate_result(org, obj, rule, matches, options)},
    )


def _duplicate_result(
    org: Org, obj: ObjectDef, rule: Any, matches: list[Any], options: SaveOptions
) -> dict[str, Any]:
    records = [
        {
            "additionalInformation": [],
            "fieldDiffs": [],
            "matchConfidence": 100.0,
            "record": {
                "attributes": org.attributes(obj, str(match[0]), options.api_version),
                "Id": str(match[0]),
            },
        }
        for match in matches
    ]
    return {
        "allowSave": rule.action == "alert",
        "duplicateRule": rule.name,
        "duplicateRuleEntityType": obj.name,
        "errorMessage": rule.message,
        "matchResults": [
            {
                "entityType": obj.name,
                "errors": [],
                "matchEngine": "ExactMatchEngine",
                "matchRecords": records,
                "rule": f"{rule.name}_Matching_Rule",
                "size": len(records),
                "success": True,
            }
        ],
    }


def _as_str(value: StoredValue) -> str | None:
    return None if value is None else str(value)
