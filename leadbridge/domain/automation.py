"""Actions of automation rules and form handlers' completion actions, and planning them.

Actions are stored as JSON (`{"type": "assign_user", "user": "rep@example.com"}` …) and
parsed into small frozen dataclasses. `plan_actions` turns a list of actions and a prospect's
current state into one `Plan`: the field changes to make (score adjustments folded in, in
order), the assignment candidates, the Salesforce campaign requests and whether to ask for a
sync. Planning is pure; carrying a plan out is `leadbridge.automation.actions`.

Assignment actions never reassign: a prospect that has an assigned user keeps it (Pardot's
rule, which users rely on). When a prospect is unassigned, the assignment actions are tried
in order and the first one that can assign wins (a group with no active member, or an
inactive user, falls through to the next). "Assign with Salesforce's active lead assignment
rule" (Pardot's action of that name) always can: it asks for the prospect to be pushed with
the rule on, and the owner Salesforce's rule picks comes back as the assignment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from leadbridge.domain.emails import validate_email
from leadbridge.errors import InputError

MAX_ACTIONS = 20
MAX_SCORE_ADJUSTMENT = 1_000_000
MAX_NAME = 255
MAX_STATUS = 255
_CRM_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
# Rules may not change a prospect's identity; assignment has its own actions.
UNCHANGEABLE_FIELDS = frozenset({"email"})


class ActionType(StrEnum):
    ASSIGN_USER = "assign_user"
    ASSIGN_GROUP = "assign_group"
    ASSIGN_SALESFORCE_RULE = "assign_salesforce_rule"
    ADD_TO_CRM_CAMPAIGN = "add_to_crm_campaign"
    CHANGE_FIELD = "change_field"
    ADJUST_SCORE = "adjust_score"
    SYNC_WITH_CRM = "sync_with_crm"
    SET_DO_NOT_SYNC = "set_do_not_sync"
    CLEAR_DO_NOT_SYNC = "clear_do_not_sync"
    SET_MARKETING_CAMPAIGN = "set_marketing_campaign"


@dataclass(frozen=True)
class AssignUser:
    user: str  # the user's email


@dataclass(frozen=True)
class AssignGroup:
    group: str  # the user group's name


@dataclass(frozen=True)
class AssignBySalesforceRule:
    """Salesforce's active lead assignment rule picks the owner when the lead is written."""


@dataclass(frozen=True)
class AddToCrmCampaign:
    campaign_id: str  # the Salesforce Campaign's id
    status: str  # the CampaignMember status


@dataclass(frozen=True)
class ChangeField:
    field: str
    value: Any  # JSON-friendly; checked against the field when the action is defined


@dataclass(frozen=True)
class AdjustScore:
    by: int


@dataclass(frozen=True)
class SyncWithCrm:
    pass


@dataclass(frozen=True)
class SetDoNotSync:
    value: bool


@dataclass(frozen=True)
class SetMarketingCampaign:
    campaign: str  # the marketing campaign's name


Action = (
    AssignUser
    | AssignGroup
    | AssignBySalesforceRule
    | AddToCrmCampaign
    | ChangeField
    | AdjustScore
    | SyncWithCrm
    | SetDoNotSync
    | SetMarketingCampaign
)
Assignment = AssignUser | AssignGroup | AssignBySalesforceRule


def parse_actions(items: Any) -> list[Action]:
    """Actions from their JSON form (a list of objects with a "type")."""
    if not isinstance(items, list) or not items:
        raise InputError("give a list of one or more actions", item="actions")
    if len(items) > MAX_ACTIONS:
        raise InputError(f"at most {MAX_ACTIONS} actions", item="actions")
    return [parse_action(item, item_name=f"actions[{index}]") for index, item in enumerate(items)]


def parse_action(item: Any, *, item_name: str = "action") -> Action:
    if not isinstance(item, Mapping):
        raise InputError('expected an object like {"type": "assign_user", …}', item=item_name)
    raw_type = str(item.get("type") or "").strip().lower()
    try:
        kind = ActionType(raw_type)
    except ValueError:
        known = ", ".join(ActionType)
        raise InputError(f"unknown action {raw_type!r} (use {known})", item=item_name) from None
    return _PARSERS[kind](item, item_name)


def _text(item: Mapping[str, Any], key: str, item_name: str, limit: int = MAX_NAME) -> str:
    raw = item.get(key)
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(f"give {key!r} as non-blank text", item=f"{item_name}.{key}")
    if len(raw.strip()) > limit:
        raise InputError(f"longer than {limit} characters", item=f"{item_name}.{key}")
    return raw.strip()


def _assign_user(item: Mapping[str, Any], name: str) -> Action:
    return AssignUser(validate_email(_text(item, "user", name), item=f"{name}.user"))


def _assign_group(item: Mapping[str, Any], name: str) -> Action:
    return AssignGroup(_text(item, "group", name))


def _add_to_campaign(item: Mapping[str, Any], name: str) -> Action:
    campaign_id = _text(item, "campaign_id", name)
    if not _CRM_ID.match(campaign_id):
        raise InputError(
            f"{campaign_id!r} is not a Salesforce id (15 or 18 letters and digits)",
            item=f"{name}.campaign_id",
        )
    return AddToCrmCampaign(campaign_id, _text(item, "status", name, MAX_STATUS))


def _change_field(item: Mapping[str, Any], name: str) -> Action:
    field_name = _text(item, "field", name).lower()
    if field_name in UNCHANGEABLE_FIELDS:
        raise InputError(f"{field_name} cannot be changed by an action", item=f"{name}.field")
    if field_name == "do_not_sync":
        raise InputError("use set_do_not_sync / clear_do_not_sync", item=f"{name}.field")
    if "value" not in item:
        raise InputError("give a value (null clears the field)", item=f"{name}.value")
    return ChangeField(field_name, item["value"])


def _adjust_score(item: Mapping[str, Any], name: str) -> Action:
    raw = item.get("by")
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw == 0:
        raise InputError("give 'by' as a non-zero whole number", item=f"{name}.by")
    if abs(raw) > MAX_SCORE_ADJUSTMENT:
        raise InputError(f"at most {MAX_SCORE_ADJUSTMENT} either way", item=f"{name}.by")
    return AdjustScore(raw)


def _set_marketing_campaign(item: Mapping[str, Any], name: str) -> Action:
    return SetMarketingCampaign(_text(item, "campaign", name))


_PARSERS = {
    ActionType.ASSIGN_USER: _assign_user,
    ActionType.ASSIGN_GROUP: _assign_group,
    ActionType.ASSIGN_SALESFORCE_RULE: lambda _item, _name: AssignBySalesforceRule(),
    ActionType.ADD_TO_CRM_CAMPAIGN: _add_to_campaign,
    ActionType.CHANGE_FIELD: _change_field,
    ActionType.ADJUST_SCORE: _adjust_score,
    ActionType.SYNC_WITH_CRM: lambda _item, _name: SyncWithCrm(),
    ActionType.SET_DO_NOT_SYNC: lambda _item, _name: SetDoNotSync(True),
    ActionType.CLEAR_DO_NOT_SYNC: lambda _item, _name: SetDoNotSync(False),
    ActionType.SET_MARKETING_CAMPAIGN: _set_marketing_campaign,
}


def action_to_json(action: Action) -> dict[str, Any]:
    match action:
        case AssignUser(user):
            return {"type": str(ActionType.ASSIGN_USER), "user": user}
        case AssignGroup(group):
            return {"type": str(ActionType.ASSIGN_GROUP), "group": group}
        case AssignBySalesforceRule():
            return {"type": str(ActionType.ASSIGN_SALESFORCE_RULE)}
        case AddToCrmCampaign(campaign_id, status):
            return {
                "type": str(ActionType.ADD_TO_CRM_CAMPAIGN),
                "campaign_id": campaign_id,
                "status": status,
            }
        case ChangeField(field_name, value):
            return {"type": str(ActionType.CHANGE_FIELD), "field": field_name, "value": value}
        case AdjustScore(by):
            return {"type": str(ActionType.ADJUST_SCORE), "by": by}
        case SyncWithCrm():
            return {"type": str(ActionType.SYNC_WITH_CRM)}
        case SetDoNotSync(value):
            kind = ActionType.SET_DO_NOT_SYNC if value else ActionType.CLEAR_DO_NOT_SYNC
            return {"type": str(kind)}
        case SetMarketingCampaign(campaign):
            return {"type": str(ActionType.SET_MARKETING_CAMPAIGN), "campaign": campaign}


def describe_action(action: Action) -> str:
    """The action in plain words, for `rules show` and `forms show`."""
    match action:
        case AssignUser(user):
            return f"assign to user {user} (if unassigned)"
        case AssignGroup(group):
            return f"assign round-robin within group {group!r} (if unassigned)"
        case AssignBySalesforceRule():
            return "assign with Salesforce's active lead assignment rule (if unassigned)"
        case AddToCrmCampaign(campaign_id, status):
            return f"add to Salesforce campaign {campaign_id} with status {status!r}"
        case ChangeField(field_name, value):
            return f"set {field_name} to {value!r}" if value is not None else f"clear {field_name}"
        case AdjustScore(by):
            return f"adjust score by {by:+d}"
        case SyncWithCrm():
            return "sync with Salesforce"
        case SetDoNotSync(value):
            return "set do-not-sync" if value else "clear do-not-sync"
        case SetMarketingCampaign(campaign):
            return f"set marketing campaign to {campaign!r}"


def actions_from_options(
    *,
    set_values: Sequence[str] = (),
    marketing_campaign: str | None = None,
    adjust_score: int | None = None,
    do_not_sync: bool | None = None,
    add_to_campaign: Sequence[str] = (),
    assign_user: str | None = None,
    assign_group: str | None = None,
    assign_salesforce_rule: bool = False,
    sync_with_crm: bool = False,
) -> list[dict[str, Any]]:
    """The CLI's friendly action options as actions' JSON form, in the order they run."""
    actions: list[dict[str, Any]] = []
    for pair in set_values:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError("use FIELD=VALUE", item=f"--set {pair!r}")
        actions.append({"type": "change_field", "field": name.strip(), "value": value or None})
    if marketing_campaign is not None:
        actions.append({"type": "set_marketing_campaign", "campaign": marketing_campaign})
    if adjust_score is not None:
        actions.append({"type": "adjust_score", "by": adjust_score})
    if do_not_sync is not None:
        actions.append({"type": "set_do_not_sync" if do_not_sync else "clear_do_not_sync"})
    for pair in add_to_campaign:
        campaign_id, sep, status = pair.partition(":")
        if not sep or not campaign_id.strip() or not status.strip():
            raise InputError("use CAMPAIGN_ID:STATUS", item=f"--add-to-campaign {pair!r}")
        actions.append(
            {"type": "add_to_crm_campaign", "campaign_id": campaign_id.strip(), "status": status}
        )
    if assign_user is not None:
        actions.append({"type": "assign_user", "user": assign_user})
    if assign_group is not None:
        actions.append({"type": "assign_group", "group": assign_group})
    if assign_salesforce_rule:
        actions.append({"type": "assign_salesforce_rule"})
    if sync_with_crm:
        actions.append({"type": "sync_with_crm"})
    return actions


# -- planning ----------------------------------------------------------------------------------


class ActionTarget(Protocol):
    """What planning reads from a prospect (the store's Prospect snapshot has it)."""

    @property
    def assigned_user_id(self) -> int | None: ...

    @property
    def score(self) -> int: ...

    def value(self, name: str) -> Any: ...


@dataclass(frozen=True)
class Plan:
    """What a list of actions does to one prospect."""

    changes: Mapping[str, Any] = field(default_factory=dict)  # field → new value
    assignments: tuple[Assignment, ...] = ()  # candidates, tried in order
    crm_campaigns: tuple[AddToCrmCampaign, ...] = ()
    sync: bool = False
    skipped: tuple[str, ...] = ()  # actions that will do nothing, and why

    @property
    def empty(self) -> bool:
        return not (self.changes or self.assignments or self.crm_campaigns or self.sync)


def plan_actions(actions: Sequence[Action], prospect: ActionTarget) -> Plan:
    """Fold the actions, in order, over the prospect's current state."""
    changes: dict[str, Any] = {}
    score = prospect.score
    assignments: list[Assignment] = []
    campaigns: dict[str, AddToCrmCampaign] = {}
    sync = False
    skipped: list[str] = []
    for action in actions:
        match action:
            case AssignUser() | AssignGroup() | AssignBySalesforceRule():
                if prospect.assigned_user_id is not None:
                    skipped.append(f"{describe_action(action)}: already assigned")
                else:
                    assignments.append(action)
            case AddToCrmCampaign(campaign_id):
                campaigns.pop(campaign_id, None)  # the last status asked for wins
                campaigns[campaign_id] = action
            case ChangeField("score", value):
                score = _whole(value)
                changes["score"] = score
            case ChangeField(field_name, value):
                changes[field_name] = value
            case AdjustScore(by):
                score += by
                changes["score"] = score
            case SyncWithCrm():
                sync = True
            case SetDoNotSync(value):
                changes["do_not_sync"] = value
            case SetMarketingCampaign(campaign):
                changes["marketing_campaign"] = campaign
    unchanged = [name for name, value in changes.items() if prospect.value(name) == value]
    for name in unchanged:
        del changes[name]
    return Plan(changes, tuple(assignments), tuple(campaigns.values()), sync, tuple(skipped))


def _whole(value: Any) -> int:
    """A score set by change_field (checked when defined; blank means 0)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    return int(float(str(value).replace(",", "")))
