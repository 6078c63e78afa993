"""leadbridge users and their mapping to Salesforce users."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadbridge.domain.emails import email_key, validate_email
from leadbridge.errors import ConflictError, InputError, NotFoundError
from leadbridge.store.models import CrmUserLinkRow, UserRole, UserRow


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: UserRole
    active: bool
    crm_user_id: str | None = None
    crm_username: str | None = None


def _snapshot(row: UserRow) -> User:
    link = row.crm_link
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        active=row.active,
        crm_user_id=None if link is None else link.crm_user_id,
        crm_username=None if link is None else link.crm_username,
    )


def _role(raw: str) -> UserRole:
    try:
        return UserRole(raw)
    except ValueError:
        choices = ", ".join(UserRole)
        raise InputError(f"{raw!r} is not a role ({choices})", item="role") from None


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, email: str, name: str, role: str = "marketing", active: bool = True) -> User:
        clean = validate_email(email)
        taken = self._by_key(email_key(clean))
        if taken is not None:
            raise ConflictError(f"a user with email {taken.email} already exists")
        row = UserRow(
            email=clean,
            email_key=email_key(clean),
            name=name.strip() or clean,
            role=_role(role),
            active=active,
        )
        self.session.add(row)
        self.session.flush()
        return _snapshot(row)

    def get(self, user_id: int) -> User:
        return _snapshot(self._row(user_id))

    def by_email(self, email: str) -> User | None:
        row = self._by_key(email_key(email))
        return None if row is None else _snapshot(row)

    def list(self, active_only: bool = False) -> builtins.list[User]:
        query = select(UserRow).order_by(UserRow.email_key)
        if active_only:
            query = query.where(UserRow.active.is_(True))
        return [_snapshot(row) for row in self.session.scalars(query)]

    def set_active(self, user_id: int, active: bool) -> User:
        row = self._row(user_id)
        row.active = active
        self.session.flush()
        return _snapshot(row)

    def update(self, user_id: int, *, name: str | None = None, role: str | None = None) -> User:
        row = self._row(user_id)
        if name is not None and name.strip():
            row.name = name.strip()
        if role is not None:
            row.role = _role(role)
        self.session.flush()
        return _snapshot(row)

    def map_crm_user(self, user_id: int, crm_user_id: str, crm_username: str) -> User:
        """Link a user to a Salesforce user (replacing any earlier link of this user).

        ConflictError names the leadbridge user who already has that Salesforce user."""
        row = self._row(user_id)
        username = crm_username.strip().lower()
        holder = self.session.scalar(
            select(CrmUserLinkRow).where(
                (CrmUserLinkRow.crm_user_id == crm_user_id)
                | (CrmUserLinkRow.crm_username == username)
            )
        )
        if holder is not None and holder.user_id != user_id:
            raise ConflictError(
                f"Salesforce user {crm_username} is already mapped to {holder.user.email}"
            )
        if row.crm_link is None:
            row.crm_link = CrmUserLinkRow(crm_user_id=crm_user_id, crm_username=username)
        else:
            row.crm_link.crm_user_id, row.crm_link.crm_username = crm_user_id, username
        self.session.flush()
        return _snapshot(row)

    def unmap(self, user_id: int) -> User:
        row = self._row(user_id)
        row.crm_link = None
        self.session.flush()
        return _snapshot(row)

    def by_crm_user_id(self, crm_user_id: str) -> User | None:
        link = self.session.scalar(
            select(CrmUserLinkRow).where(CrmUserLinkRow.crm_user_id == crm_user_id)
        )
        return None if link is None else _snapshot(link.user)

    def by_crm_username(self, crm_username: str) -> User | None:
        link = self.session.scalar(
            select(CrmUserLinkRow).where(
                CrmUserLinkRow.crm_username == crm_username.strip().lower()
            )
        )
        return None if link is None else _snapshot(link.user)

    def _row(self, user_id: int) -> UserRow:
        row = self.session.get(UserRow, user_id)
        if row is None:
            raise NotFoundError(f"no user with id {user_id}")
        return row

    def _by_key(self, key: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.email_key == key))


def user_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's name (its email when the name is blank), in one query for all of them."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(UserRow.id, UserRow.name, UserRow.email).where(UserRow.id.in_(wanted))
    )
    return {user_id: (name or "").strip() or email for user_id, name, email in rows}
