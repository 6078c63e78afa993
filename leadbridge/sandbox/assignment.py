"""Lead assignment rules and the `Sforce-Auto-Assign` header.

The control plane sets the org's lead assignment rules (`PUT /__sandbox__/assignment-rules`):
rules of ordered entries, each a list of criteria on Lead fields (all must hold) and the owner
of the leads it matches; at most one rule is active. Salesforce's REST API applies the active
rule to every Lead it creates or updates unless the request says `Sforce-Auto-Assign: FALSE`
(the header defaults to TRUE); the header may also name one rule by ID. The first matching
entry decides the owner, whatever OwnerId the request sent; when no entry matches, the lead
goes to the default lead owner (Lead Settings). Bulk API 2.0 applies a rule only when the job
names it (`assignmentRuleId`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import ids
from .exceptions import SalesforceError
from .save_rules import queue_supports
from .soql import compile_condition
from .storage import quote

if TYPE_CHECKING:
    from .org import Org, Row
    from .schema import FieldDef, ObjectDef

HEADER = "sforce-auto-assign"
ACTIVE = "ACTIVE"  # SaveOptions.assignment_rule: the org's active rule
_META_KEY = "lead_assignment_rules"
_NUMERIC = frozenset({"int", "double", "currency", "percent"})
_UNQUOTED = frozenset({"date", "datetime", "time"})
_COMPARISONS = {
    "equals": "=",
    "notEqual": "!=",
    "lessThan": "<",
    "greaterThan": ">",
    "lessOrEqual": "<=",
    "greaterOrEqual": ">=",
}
_LIKE = {"startsWith": "{}%", "contains": "%{}%", "notContain": "%{}%"}
OPERATORS = (*_COMPARISONS, *_LIKE)


@dataclass(frozen=True)
class Entry:
    criteria: tuple[Mapping[str, Any], ...]
    owner_id: str
    condition: str  # the criteria as a SOQL condition on Lead


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    active: bool
    entries: tuple[Entry, ...]


def header_rule(headers: Mapping[str, str]) -> str | None:
    """What `Sforce-Auto-Assign` asks for: ACTIVE (also when absent), None, or a rule ID."""
    value = headers.get(HEADER)
    if value is None or value.strip().upper() == "TRUE":
        return ACTIVE
    value = value.strip()
    if value.upper() == "FALSE":
        return None
    try:
        return ids.to18(value)
    except ValueError:
        raise SalesforceError(
            "MALFORMED_ID",
            f"Sforce-Auto-Assign must be TRUE, FALSE or an AssignmentRule ID, not {value!r}",
        ) from None


# ------------------------------------------------------------------ the rules, set and read


def configure(org: Org, body: Mapping[str, Any]) -> dict[str, Any]:
    """Replace every lead assignment rule and the default lead owner; returns `describe()`."""
    raw_rules = body.get("rules", [])
    if not isinstance(raw_rules, list):
        raise SalesforceError("INVALID_FIELD", "rules must be a list")
    lead = org.object("Lead")
    rules: list[dict[str, Any]] = []
    for position, raw in enumerate(raw_rules, 1):
        where = f"rule {position}"
        if not isinstance(raw, Mapping):
            raise SalesforceError("INVALID_FIELD", f"{where}: must be an object")
        name = str(raw.get("name") or f"Lead rule {position}")
        entries = raw.get("entries", [])
        if not isinstance(entries, list) or not entries:
            raise SalesforceError(
                "INVALID_FIELD", f"{where} ({name}): entries must be a non-empty list"
            )
        checked = [
            _check_entry(org, lead, entry, f"{where} ({name}), entry {number}")
            for number, entry in enumerate(entries, 1)
        ]
        rules.append({"name": name, "active": bool(raw.get("active", True)), "entries": checked})
    if sum(rule["active"] for rule in rules) > 1:
        raise SalesforceError("INVALID_FIELD", "only one lead assignment rule can be active")
    default_owner = body.get("default_owner_id")
    if default_owner is not None:
        default_owner = _check_owner(org, default_owner, "default_owner_id")
    with org.db.transaction():
        assignment_rule = org.object("AssignmentRule")
        org.db.conn.execute(f"DELETE FROM {quote(assignment_rule.name)}")
        rule_ids = org.insert_raw(
            "AssignmentRule",
            [
                {"Name": rule["name"], "Active": rule["active"], "SobjectType": "Lead"}
                for rule in rules
            ],
        )
        for rule_id, rule in zip(rule_ids, rules, strict=True):
            rule["id"] = rule_id
        stored = {"default_owner_id": default_owner, "rules": rules}
        org.db.set_meta(_META_KEY, json.dumps(stored))
    return describe(org)


def describe(org: Org) -> dict[str, Any]:
    stored = _stored(org)
    return {
        "default_owner_id": stored.get("default_owner_id") or org.admin_user_id,
        "rules": stored.get("rules", []),
    }


def _stored(org: Org) -> dict[str, Any]:
    text = org.db.get_meta(_META_KEY)
    return json.loads(text) if text else {}


def _check_entry(org: Org, lead: ObjectDef, entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise SalesforceError("INVALID_FIELD", f"{where}: must be an object")
    criteria = entry.get("criteria", [])
    if not isinstance(criteria, list):
        raise SalesforceError("INVALID_FIELD", f"{where}: criteria must be a list")
    owner = _check_owner(org, entry.get("owner_id"), f"{where}: owner_id")
    clean = [_check_criterion(lead, criterion, where) for criterion in criteria]
    condition = _condition(lead, clean)
    if condition:
        try:
            compile_condition(condition, lead, org.schema, alias="r", now=org.clock.now())
        except SalesforceError as exc:
            raise SalesforceError("INVALID_FIELD", f"{where}: {exc.message}") from None
    return {"criteria": clean, "owner_id": owner}


def _check_criterion(lead: ObjectDef, criterion: Any, where: str) -> dict[str, Any]:
    if not isinstance(criterion, Mapping):
        raise SalesforceError("INVALID_FIELD", f"{where}: each criterion is an object")
    field = lead.field(str(criterion.get("field", "")))
    if field is None:
        raise SalesforceError("INVALID_FIELD", f"{where}: no Lead field {criterion.get('field')!r}")
    operator = criterion.get("operator", "equals")
    if operator not in OPERATORS:
        raise SalesforceError(
            "INVALID_FIELD", f"{where}: operator must be one of {', '.join(OPERATORS)}"
        )
    value = criterion.get("value")
    if isinstance(value, list) and operator not in {"equals", "notEqual"}:
        raise SalesforceError("INVALID_FIELD", f"{where}: only equals/notEqual take a list")
    return {"field": field.name, "operator": operator, "value": value}


def _check_owner(org: Org, value: Any, where: str) -> str:
    """An active user, or a queue when the schema has queues (Group)."""
    try:
        owner_id = ids.to18(str(value or ""))
    except ValueError:
        raise SalesforceError("INVALID_FIELD", f"{where}: {value!r} is not a record ID") from None
    user = org.object("User")
    if owner_id[:3] == user.key_prefix:
        row = org.load(user, owner_id)
        if row is None:
            raise SalesforceError("INVALID_FIELD", f"{where}: no user {owner_id}")
        if not row.get("IsActive"):
            raise SalesforceError("INVALID_FIELD", f"{where}: user {owner_id} is inactive")
        return owner_id
    group = org.schema.object("Group")
    if group is not None and owner_id[:3] == group.key_prefix:
        row = org.load(group, owner_id)
        if row is None or row.get("Type") != "Queue":
            raise SalesforceError("INVALID_FIELD", f"{where}: no queue {owner_id}")
        if not queue_supports(org, owner_id, "Lead"):
            raise SalesforceError("INVALID_FIELD", f"{where}: queue {owner_id} cannot own leads")
        return owner_id
    kinds = "a user or a queue" if group is not None else "a user"
    raise SalesforceError("INVALID_FIELD", f"{where}: {owner_id} is not {kinds}")


def _condition(lead: ObjectDef, criteria: list[dict[str, Any]]) -> str:
    parts = []
    for criterion in criteria:
        field = lead.field(criterion["field"])
        assert field is not None
        name, operator, value = field.name, criterion["operator"], criterion["value"]
        if operator in _LIKE:
            pattern = _LIKE[operator].format(_escape(str(value or "")))
            like = f"{name} LIKE '{pattern}'"
            parts.append(f"(NOT {like})" if operator == "notContain" else like)
        elif isinstance(value, list):
            keyword = "IN" if operator == "equals" else "NOT IN"
            literals = ", ".join(_literal(field, item) for item in value)
            parts.append(f"{name} {keyword} ({literals})")
        else:
            parts.append(f"{name} {_COMPARISONS[operator]} {_literal(field, value)}")
    return " AND ".join(parts)


def _literal(field: FieldDef, value: Any) -> str:
    if value is None or value == "":
        return "null"
    if field.type == "boolean":
        return "true" if value is True or str(value).lower() == "true" else "false"
    if field.type in _NUMERIC or field.type in _UNQUOTED:
        return str(value)
    return f"'{_escape(str(value))}'"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


# ------------------------------------------------------------------ applying a rule on save


def _rule(org: Org, wanted: str) -> dict[str, Any] | None:
    rules = _stored(org).get("rules", [])
    if wanted == ACTIVE:
        active: dict[str, Any] | None = next((rule for rule in rules if rule["active"]), None)
        return active
    for rule in rules:
        if rule["id"] == wanted:
            found: dict[str, Any] = rule  # a rule named by ID runs even when inactive
            return found
    raise SalesforceError(
        "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: no AssignmentRule {wanted}"
    )


def check_rule_id(org: Org, rule_id: str) -> str:
    """A Bulk job's `assignmentRuleId`: an existing rule (MALFORMED_ID / not found otherwise)."""
    try:
        normal = ids.to18(rule_id)
    except ValueError:
        raise SalesforceError("MALFORMED_ID", f"invalid assignmentRuleId {rule_id!r}") from None
    _rule(org, normal)
    return normal


def apply(org: Org, obj: ObjectDef, record_id: str, wanted: str | None) -> Row | None:
    """Run the rule the save asked for on a written Lead; the owner change to write, if any."""
    if wanted is None or obj.name != "Lead":
        return None
    rule = _rule(org, wanted)
    if rule is None:
        return None  # no active rule: the lead keeps the owner it was saved with
    owner = describe(org)["default_owner_id"]
    for entry in rule["entries"]:
        condition = _condition(obj, entry["criteria"])
        if not condition:
            owner = entry["owner_id"]
            break
        sql, params = compile_condition(condition, obj, org.schema, alias="r", now=org.clock.now())
        hit = org.db.conn.execute(
            f'SELECT 1 FROM {quote(obj.name)} AS r WHERE r."Id" = ? AND ({sql})',
            (record_id, *params),
        ).fetchone()
        if hit:
            owner = entry["owner_id"]
            break
    return {"OwnerId": owner}
