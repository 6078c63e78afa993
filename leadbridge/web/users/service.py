"""The users page's writes on the store, each audited (area "user"), and the user sync
report in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadbridge.auth import Principal
from leadbridge.domain.access import UserRole
from leadbridge.errors import InputError, NotFoundError
from leadbridge.store.accounts import AccountRepository
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.connector_status import CrmUserEntry, crm_users
from leadbridge.store.database import Database
from leadbridge.store.settings_changes import SettingsChangeRepository
from leadbridge.store.users import User, UserRepository

AREA = "user"
ROLE_CHOICES = {str(role): role.label for role in UserRole}


@dataclass(frozen=True)
class UsersView:
    users: list[User]
    roster: list[CrmUserEntry]  # Salesforce users seen at the last user sync
    roster_at: datetime | None

    def unmapped_roster(self) -> list[CrmUserEntry]:
        taken = {u.crm_user_id for u in self.users if u.crm_user_id}
        return [entry for entry in self.roster if entry.id not in taken]


def users_view(database: Database) -> UsersView:
    with database.session(readonly=True) as session:
        users = UserRepository(session).list()
        roster, at = crm_users(ConnectorRepository(session))
    return UsersView(users, roster, at)


def _audit(
    session: Any,
    actor: Principal,
    now: datetime,
    subject: str,
    field: str,
    old: object,
    new: object,
) -> None:
    SettingsChangeRepository(session).record(
        at=now, actor=actor.email, area=AREA, subject=subject, field=field, old=old, new=new
    )


def _role(raw: str) -> UserRole:
    if raw not in ROLE_CHOICES:
        raise InputError("choose one of the roles offered", item="role")
    return UserRole(raw)


def create_user(
    database: Database, *, email: str, name: str, role: str, actor: Principal, now: datetime
) -> User:
    chosen = _role(role)
    with database.session() as session:
        user = UserRepository(session).add(email, name, role=str(chosen))
        _audit(session, actor, now, user.email, "created", None, f"{chosen.label}, active")
    return user


def audit_password_set(database: Database, email: str, actor: Principal, now: datetime) -> None:
    with database.session() as session:
        _audit(session, actor, now, email, "password", None, "set")


def _not_self(user_id: int, actor: Principal, what: str) -> None:
    if user_id == actor.user_id:
        raise InputError(f"you cannot {what} yourself: ask another administrator", item="user")


def change_role(
    database: Database, user_id: int, role: str, *, actor: Principal, now: datetime
) -> tuple[User, bool]:
    chosen = _role(role)
    with database.session() as session:
        users = UserRepository(session)
        before = users.get(user_id)
        if before.role is chosen:
            return before, False
        _not_self(user_id, actor, "change the role of")
        after = users.update(user_id, role=str(chosen))
        _audit(session, actor, now, after.email, "role", before.role.label, chosen.label)
    return after, True


def set_active(
    database: Database, user_id: int, active: bool, *, actor: Principal, now: datetime
) -> tuple[User, bool]:
    """Deactivating ends the user's sessions (their API keys stop working too)."""
    with database.session() as session:
        users = UserRepository(session)
        before = users.get(user_id)
        if before.active == active:
            return before, False
        if not active:
            _not_self(user_id, actor, "deactivate")
        after = users.set_active(user_id, active)
        if not active:
            AccountRepository(session).delete_sessions_of(user_id)
        _audit(session, actor, now, after.email, "active", before.active, active)
    return after, True


def map_user(
    database: Database, user_id: int, crm_user_id: str, *, actor: Principal, now: datetime
) -> User:
    with database.session() as session:
        roster, _ = crm_users(ConnectorRepository(session))
        entry = next((e for e in roster if e.id == crm_user_id), None)
        if entry is None:
            raise InputError(
                "choose a Salesforce user from the list (run “Sync users” to refresh it)",
                item="crm_user",
            )
        users = UserRepository(session)
        before = users.get(user_id)
        after = users.map_crm_user(user_id, entry.id, entry.username)
        _audit(
            session,
            actor,
            now,
            after.email,
            "Salesforce user",
            before.crm_username,
            after.crm_username,
        )
    return after


def unmap_user(database: Database, user_id: int, *, actor: Principal, now: datetime) -> User:
    with database.session() as session:
        users = UserRepository(session)
        before = users.get(user_id)
        if before.crm_user_id is None:
            raise NotFoundError(f"{before.email} is not mapped to a Salesforce user")
        after = users.unmap(user_id)
        _audit(session, actor, now, after.email, "Salesforce user", before.crm_username, None)
    return after


def _names(entries: Sequence[dict[str, str]], most: int = 3) -> str:
    shown = [e.get("crm_username") or e.get("email") or "?" for e in entries[:most]]
    more = len(entries) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def sync_summary(report: dict[str, Any], *, create: bool) -> str:
    """The user sync in plain words, saying why when nobody matched."""
    matched, created = report.get("matched") or [], report.get("created") or []
    mapped, unmatched = report.get("already_mapped") or [], report.get("unmatched") or []
    seen = len(matched) + len(created) + len(mapped) + len(unmatched)
    if not matched and not created and not mapped:
        if not seen:
            return "Salesforce has no active users the connector user can see: nothing to match."
        hint = "" if create else " Tick “create missing users” to add them as leadbridge users."
        return (
            f"Nobody matched: none of the {seen} active Salesforce users has the email of a "
            f"leadbridge user ({_names(unmatched)}). Create leadbridge users with the same "
            f"emails, or map them by hand below.{hint}"
        )
    parts = [f"{len(matched)} matched by email"] if matched else []
    if created:
        parts.append(f"{len(created)} created")
    if mapped:
        parts.append(f"{len(mapped)} already mapped")
    text = "Users synced: " + ", ".join(parts) + "."
    if unmatched:
        text += f" {len(unmatched)} Salesforce users have no leadbridge user: {_names(unmatched)}."
    for conflict in (report.get("conflicts") or [])[:1]:
        text += f" {conflict}"
    return text


def audit_key_revoked(
    database: Database, owner: str, key_name: str, actor: Principal, now: datetime
) -> None:
    with database.session() as session:
        _audit(session, actor, now, owner, "API key", key_name, "revoked")
