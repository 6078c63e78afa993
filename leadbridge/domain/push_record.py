"""Building the record to write to Salesforce for one prospect, field by field.

For an existing record each mapped field goes through `field_rules.resolve`: only fields
leadbridge wins, and whose value differs from Salesforce's, are sent (an unchanged field is
never written, so a push cannot echo back as a change). A new lead gets every non-blank
mapped value, plus what Salesforce requires of a lead: Company (the placeholder setting when
blank), LastName (the email's local part when blank), the owner (the assigned user's
Salesforce user, only ever at creation) and the prospect's upsert key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from leadbridge.domain.crm_values import as_remembered, crm_value, is_blank, same_value
from leadbridge.domain.field_rules import UNKNOWN, FieldRule, Side, Sides, in_conflict, resolve
from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.matching import modified_at
from leadbridge.domain.preflight import Problem, preflight
from leadbridge.ports import CrmField, CrmObject, CrmRecord

USER_NOT_MAPPED = "USER_NOT_MAPPED"
# In a sync state: API name → the stand-in value leadbridge filled in (placeholder company,
# last name from the email) because Salesforce requires one and the prospect had none.
FILLED = "_filled"
# In a sync state: API name → the value leadbridge is sending (written before it is sent,
# cleared once the outcome is recorded). Salesforce holding it is leadbridge's own echo.
SENT = "_sent"
# In a sync state: API name → [Salesforce's value, when the pull first saw it (ISO, on
# Salesforce's clock)], for fields where Salesforce moved and the pull did not take it.
SEEN = "_seen"
FieldTimes = Mapping[str, datetime]  # API name → when Salesforce's value was set


@dataclass(frozen=True)
class ProspectValues:
    """One prospect as the push sees it."""

    email: str
    values: Mapping[str, Any]  # prospect field name → value
    changed_at: Mapping[str, datetime] = field(default_factory=dict)  # last change per field
    updated_at: datetime | None = None  # when a field has no recorded change time

    def changed(self, name: str) -> datetime | None:
        return self.changed_at.get(name, self.updated_at)

    def shifted(self, offset: timedelta) -> ProspectValues:
        """The same values with the change times moved by `offset`: leadbridge's clock to
        Salesforce's (`offset` = Salesforce's now - ours), so both sides' times compare."""
        if not offset:
            return self
        return replace(
            self,
            changed_at={name: at + offset for name, at in self.changed_at.items()},
            updated_at=None if self.updated_at is None else self.updated_at + offset,
        )


@dataclass(frozen=True)
class Creation:
    """What only a new lead gets."""

    placeholder_company: str
    owner_id: str | None  # the assigned user's Salesforce user id
    owner_problem: str | None = None  # why there is no owner (the assigned user is unmapped)
    key_field: str | None = None  # LeadBridge_Prospect_Id__c, when the org has it
    key: str | None = None


@dataclass(frozen=True)
class WritePlan:
    object_name: str
    crm_id: str | None  # None: create
    values: dict[str, Any]  # API name → value to send
    agreed: dict[str, Any]  # API name → the value both sides hold once the write succeeds
    problems: tuple[Problem, ...] = ()
    # Written with Salesforce's active lead assignment rule on (which then picks the owner):
    # a call even when no value changed, since the save is what runs the rule.
    auto_assign: bool = False

    @property
    def creates(self) -> bool:
        return self.crm_id is None

    @property
    def needs_call(self) -> bool:
        return self.creates or bool(self.values) or self.auto_assign

    def record(self) -> dict[str, Any]:
        """The values to send, with the Id of the record to update."""
        return self.values if self.crm_id is None else {"Id": self.crm_id, **self.values}


def rule_target(obj: CrmObject, rule: FieldRule, *, creating: bool) -> CrmField | None:
    """The Salesforce field `rule` writes, or None when it cannot be written: a relationship
    path (a contact's Account.Name is read-only), a field the org lacks, or one the
    connector user may not create or edit."""
    if "." in rule.crm_field:
        return None
    target = obj.field(rule.crm_field)
    if target is None or target.calculated:
        return None
    return target if (target.createable if creating else target.updateable) else None


def plan_write(
    obj: CrmObject,
    rules: Sequence[FieldRule],
    prospect: ProspectValues,
    existing: CrmRecord | None,
    *,
    agreed: Mapping[str, Any] | None = None,
    creation: Creation | None = None,
    theirs_at: FieldTimes | None = None,
) -> WritePlan:
    """What to send to `existing` (or, when None, to a new record built with `creation`).

    `agreed` is the record's sync state (API name → value both sides last held, plus the
    FILLED stand-ins, the SENT values and the SEEN times); `theirs_at` Salesforce's
    per-field change times (field history) where it has them."""
    known = agreed or {}
    values: dict[str, Any] = {}
    settled: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for rule in rules:
        target = rule_target(obj, rule, creating=existing is None)
        if target is None:
            continue
        sources[target.name] = rule.field
        ours = crm_value(prospect.values.get(rule.field), target)
        if existing is None:
            if not is_blank(ours):
                values[target.name] = settled[target.name] = ours
            continue
        side = decide_field(
            rule,
            target,
            ours,
            existing,
            known,
            prospect.changed(rule.field),
            (theirs_at or {}).get(target.name),
        ).side
        if side is Side.LEADBRIDGE:
            values[target.name] = settled[target.name] = ours
        elif side is Side.NONE:
            settled[target.name] = ours
        # Side.SALESFORCE: the agreed value stays as it was, for the pull to see the change.
    problems: list[Problem] = []
    filled: dict[str, Any] = {}
    if existing is None:
        problems.extend(_creation_values(obj, prospect, creation, values, sources, filled))
    else:
        filled = {
            name: value
            for name, value in (known.get(FILLED) or {}).items()
            if name not in values and _still_filled(obj, name, existing, known)
        }
    settled.update(filled)  # so the pull sees the stand-in as leadbridge's own echo
    if filled or FILLED in known:  # replaces the map: merged state must not keep stale names
        settled[FILLED] = filled
    problems.extend(preflight(values, obj, creating=existing is None, sources=sources))
    crm_id = None if existing is None else str(existing["Id"])
    return WritePlan(obj.name, crm_id, values, settled, tuple(problems))


def is_stand_in(target: CrmField, theirs: Any, agreed: Mapping[str, Any]) -> bool:
    """Whether Salesforce's value is one leadbridge only filled in because Salesforce
    requires a value (the placeholder company), unchanged since. The field rules treat it as
    blank, so the prospect's real value replaces it and a pull never copies it back."""
    stand_ins = agreed.get(FILLED) or {}
    return target.name in stand_ins and same_value(theirs, stand_ins[target.name])


def _still_filled(
    obj: CrmObject, name: str, existing: CrmRecord, agreed: Mapping[str, Any]
) -> bool:
    target = obj.field(name)
    return target is not None and is_stand_in(target, crm_value(existing.get(name), target), agreed)


@dataclass(frozen=True)
class FieldDecision:
    side: Side  # which side's value both should hold
    theirs: Any  # Salesforce's value as the rules saw it (None for a stand-in)
    stand_in: bool = False  # Salesforce holds a value leadbridge filled in


def decide_field(
    rule: FieldRule,
    target: CrmField,
    ours: Any,
    existing: CrmRecord,
    agreed: Mapping[str, Any],
    ours_changed_at: datetime | None,
    theirs_changed_at: datetime | None = None,
) -> FieldDecision:
    """`field_rules.resolve` for one field of an existing record. The pull decides the same
    way, so both directions always agree.

    Two cases the rules alone do not cover: a stand-in Salesforce value (the placeholder
    company) never wins, the prospect's value replaces it as soon as there is one; and a
    blank never wins on a field Salesforce requires (LastName), since Salesforce cannot hold
    it: Salesforce's value comes back instead of a sync error on every push.

    `theirs_changed_at` is when Salesforce's value of this field was set (field history);
    without it, when the pull first saw it (SEEN), else the record's LastModifiedDate, which
    is then the upper bound of the window the change is first seen in."""
    theirs = crm_value(existing.get(target.name), target)
    if same_value(ours, theirs):
        return FieldDecision(Side.NONE, theirs)
    if is_stand_in(target, theirs, agreed):
        side = Side.NONE if is_blank(ours) else Side.LEADBRIDGE
        return FieldDecision(side, None, stand_in=True)
    theirs_at = theirs_changed_at or seen_at(agreed, target.name, theirs) or modified_at(existing)
    sides = field_sides(target, ours, theirs, agreed, ours_changed_at, theirs_at)
    side = resolve(rule, sides)
    if side is Side.LEADBRIDGE and is_blank(ours) and _required(target):
        side = Side.SALESFORCE
    return FieldDecision(side, theirs)


def field_sides(
    target: CrmField,
    ours: Any,
    theirs: Any,
    agreed: Mapping[str, Any],
    ours_at: datetime | None = None,
    theirs_at: datetime | None = None,
) -> Sides:
    """The rules' inputs for one field of a record's sync state."""
    sent = (agreed.get(SENT) or {}).get(target.name, UNKNOWN)
    before = agreed.get(target.name, UNKNOWN)
    return Sides(
        ours,
        theirs,
        before if before is UNKNOWN else as_remembered(before, target),
        ours_at,
        theirs_at,
        sent if sent is UNKNOWN else as_remembered(sent, target),
    )


def seen_at(agreed: Mapping[str, Any], name: str, theirs: Any) -> datetime | None:
    """When the pull first saw Salesforce hold `theirs` in field `name` (None: never)."""
    entry = (agreed.get(SEEN) or {}).get(name)
    if not isinstance(entry, list | tuple) or len(entry) != 2 or not same_value(entry[0], theirs):
        return None
    try:
        return datetime.fromisoformat(str(entry[1]))
    except ValueError:
        return None


def conflicts(
    obj: CrmObject,
    rules: Sequence[FieldRule],
    prospect: ProspectValues,
    existing: CrmRecord,
    agreed: Mapping[str, Any],
) -> list[str]:
    """The API names of `existing` whose decision needs the change times (both sides moved):
    the only fields worth asking Salesforce's field history about."""
    found: list[str] = []
    for rule in rules:
        target = obj.field(rule.crm_field)
        if "." in rule.crm_field or target is None or target.name not in existing:
            continue
        if rule.owned or rule.behaviour is not SyncBehaviour.MOST_RECENT:
            continue  # never in conflict (`in_conflict`), checked before any conversion
        ours = crm_value(prospect.values.get(rule.field), target)
        theirs = crm_value(existing.get(target.name), target)
        if same_value(ours, theirs) or is_stand_in(target, theirs, agreed):
            continue
        if in_conflict(rule, field_sides(target, ours, theirs, agreed)):
            found.append(target.name)
    return found


def _required(target: CrmField) -> bool:
    return not target.nillable and target.type != "boolean"


def _creation_values(
    obj: CrmObject,
    prospect: ProspectValues,
    creation: Creation | None,
    values: dict[str, Any],
    sources: dict[str, str],
    filled: dict[str, Any],
) -> list[Problem]:
    """Fill what a new record needs (noting in `filled` the stand-in values given); the
    problems that stop it being created."""
    given = creation or Creation(placeholder_company="[not provided]", owner_id=None)
    email_field = obj.field("Email")
    if email_field is not None and is_blank(values.get(email_field.name)):
        values[email_field.name] = prospect.email
        sources.setdefault(email_field.name, "email")
    company = obj.field("Company")
    if company is not None and is_blank(values.get(company.name)):
        values[company.name] = given.placeholder_company[: company.length or None]
        filled[company.name] = values[company.name]
    last_name = obj.field("LastName")
    if last_name is not None and is_blank(values.get(last_name.name)):
        local_part = prospect.email.split("@", 1)[0].strip() or prospect.email
        values[last_name.name] = local_part[: last_name.length or None]
        filled[last_name.name] = values[last_name.name]
    if given.key_field and given.key and obj.field(given.key_field) is not None:
        values[given.key_field] = given.key
    owner = obj.field("OwnerId")
    if given.owner_id is not None and owner is not None:
        values[owner.name] = given.owner_id
    elif given.owner_problem is not None:
        return [Problem(USER_NOT_MAPPED, given.owner_problem, ("OwnerId",))]
    return []
