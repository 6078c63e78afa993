"""Matching Salesforce users to leadbridge users by email, one to one.

Shared by `leadbridge users sync` and the mirrors' daily users poll, so that both map the same
way: an already mapped Salesforce user stays as it is; an active one is mapped to the
leadbridge user with its email (created on request); a leadbridge user already mapped to
someone else is a conflict, never silently remapped; a mapped user now inactive in Salesforce
is reported and keeps its mapping (its prospects stay assigned until someone reassigns them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from leadbridge.errors import ConflictError
from leadbridge.ports import CrmUser
from leadbridge.store.users import User, UserRepository


@dataclass
class UserMatch:
    matched: list[CrmUser] = field(default_factory=list)  # mapped to an existing user now
    created: list[CrmUser] = field(default_factory=list)  # mapped to a user created now
    already_mapped: list[CrmUser] = field(default_factory=list)
    unmatched: list[CrmUser] = field(default_factory=list)  # active, no leadbridge user
    deactivated: list[tuple[CrmUser, User]] = field(default_factory=list)  # mapped, inactive
    conflicts: list[str] = field(default_factory=list)


def match_crm_users(
    users: UserRepository, crm_users: Iterable[CrmUser], *, create: bool = False
) -> UserMatch:
    match = UserMatch()
    for crm_user in sorted(crm_users, key=lambda u: u.username.lower()):
        mapped = users.by_crm_user_id(crm_user.id)
        if mapped is not None:
            if crm_user.active:
                match.already_mapped.append(crm_user)
            else:
                match.deactivated.append((crm_user, mapped))
            continue
        if crm_user.active:
            _map_active(users, crm_user, create, match)
    return match


def _map_active(users: UserRepository, crm_user: CrmUser, create: bool, match: UserMatch) -> None:
    local = users.by_email(crm_user.email)
    bucket = match.matched
    if local is None:
        if not create:
            match.unmatched.append(crm_user)
            return
        local = users.add(crm_user.email, crm_user.name or crm_user.email, role="sales")
        bucket = match.created
    if local.crm_user_id:
        match.conflicts.append(
            f"{local.email} is already mapped to {local.crm_username}; "
            f"{crm_user.username} was left unmapped"
        )
        return
    try:
        users.map_crm_user(local.id, crm_user.id, crm_user.username)
    except ConflictError as exc:
        match.conflicts.append(str(exc))
        return
    bucket.append(crm_user)
