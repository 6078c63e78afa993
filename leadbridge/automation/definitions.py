"""Checking rule criteria and actions against what exists now (fields, users, groups,
marketing campaigns), when a rule or form handler is defined, so that running it later
cannot fail on a typo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.domain.automation import (
    Action,
    AssignGroup,
    AssignUser,
    ChangeField,
    SetMarketingCampaign,
    action_to_json,
    parse_actions,
)
from leadbridge.domain.criteria import Criteria, compile_criteria
from leadbridge.domain.fields import FieldType, Origin
from leadbridge.errors import InputError
from leadbridge.ports import Clock
from leadbridge.store.campaigns import MarketingCampaignRepository
from leadbridge.store.groups import UserGroupRepository
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.users import UserRepository


def field_types(session: Session) -> dict[str, FieldType]:
    """Every prospect field that exists now (defaults, do_not_sync, custom) → its type."""
    return {name: spec.type for name, spec in FieldCatalog.load(session).specs.items()}


def checked_criteria(session: Session, items: Any, match: str) -> Criteria:
    return compile_criteria(items, field_types(session), match=match)


def checked_actions(session: Session, clock: Clock, items: Any) -> list[Action]:
    """The actions, with every user, group, field value and campaign they name checked."""
    actions = parse_actions(items)
    catalog = FieldCatalog.load(session)
    checked: list[Action] = []
    for index, action in enumerate(actions):
        item = f"actions[{index}]"
        match action:
            case AssignUser(email):
                user = UserRepository(session).by_email(email)
                if user is None:
                    raise InputError(f"no leadbridge user with the email {email!r}", item=item)
                if not user.active:
                    raise InputError(f"user {user.email} is inactive", item=item)
                action = AssignUser(user.email)
            case AssignGroup(name):
                group = UserGroupRepository(session, clock).by_name(name)
                if group is None:
                    raise InputError(f"no user group named {name!r}", item=item)
                action = AssignGroup(group.name)
            case ChangeField(field_name, value):
                action = ChangeField(field_name, _checked_value(catalog, field_name, value, item))
            case SetMarketingCampaign(name):
                if MarketingCampaignRepository(session).by_name(name) is None:
                    raise InputError(f"no marketing campaign named {name!r}", item=item)
        checked.append(action)
    return checked


def _checked_value(catalog: FieldCatalog, field_name: str, value: Any, item: str) -> Any:
    """The value as the field will store it, in a JSON-friendly form."""
    if field_name not in catalog.specs:
        raise InputError(f"no prospect field named {field_name!r}", item=item)
    try:
        stored = catalog.check({field_name: value}, origin=Origin.USER)[field_name]
    except InputError as error:
        raise InputError(error.reason, item=f"{item} ({field_name})") from None
    if isinstance(stored, date):
        return stored.isoformat()
    if isinstance(stored, tuple):
        return list(stored)
    return stored


def actions_json(actions: Sequence[Action]) -> list[dict[str, Any]]:
    return [action_to_json(action) for action in actions]
