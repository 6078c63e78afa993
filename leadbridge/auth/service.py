"""Signing in and out, sessions, API keys and first-run administrator.

Failed sign-ins are counted per account and per client address. Five failures for one
account within 15 minutes lock it for 15 minutes; fifty from one address lock the address.
A correct password during a lock is refused too, so guessing gains nothing from the lock
ending early for the right answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from leadbridge.auth import secrets
from leadbridge.domain.access import UserRole
from leadbridge.domain.emails import email_key
from leadbridge.errors import (
    AccessDeniedError,
    InputError,
    NotFoundError,
    SignInError,
    SignInThrottledError,
)
from leadbridge.ports import Clock
from leadbridge.store.accounts import AccountRepository, ApiKeyInfo, Failures
from leadbridge.store.database import Database
from leadbridge.store.models import UserRow
from leadbridge.store.users import UserRepository

SESSION_IDLE = timedelta(hours=12)
SESSION_MAX = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=1)  # a session's last-seen is written at most this often
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 50
FIRST_ADMIN_EMAIL = "admin@leadbridge.local"
WRONG = "Wrong email or password."


@dataclass(frozen=True)
class Principal:
    """Who is calling, and how they proved it."""

    user_id: int
    email: str
    name: str
    role: UserRole
    via: Literal["session", "api_key"]
    csrf_token: str | None = None  # sessions only


@dataclass(frozen=True)
class SessionGrant:
    token: str
    principal: Principal
    expires_at: datetime


def _principal(row: UserRow, via: Literal["session", "api_key"], csrf: str | None) -> Principal:
    return Principal(row.id, row.email, row.name, UserRole(row.role), via, csrf)


class AuthService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    # Signing in and out

    def sign_in(self, email: str, password: str, *, client: str) -> SessionGrant:
        """A new session for this user; SignInError (or SignInThrottledError) otherwise."""
        now = self.clock.now()
        with self.database.session() as session:
            accounts = AccountRepository(session)
            row = self._checked(accounts, email, password, client, now)
            if row is not None:
                token, csrf = secrets.new_token(), secrets.new_token()
                expires = now + SESSION_IDLE
                accounts.add_session(secrets.digest(token), row.id, csrf, now, expires)
                grant = SessionGrant(token, _principal(row, "session", csrf), expires)
        if row is None:  # raised after the commit, so the failure is counted
            raise SignInError(WRONG)
        return grant

    def change_password(self, email: str, current: str, new: str, *, client: str) -> None:
        """Set a new password for a user who proves the current one (throttled like a
        sign-in); their sessions end."""
        hashed = secrets.hash_password(new)  # InputError before anything is counted
        now = self.clock.now()
        with self.database.session() as session:
            accounts = AccountRepository(session)
            row = self._checked(accounts, email, current, client, now)
            if row is not None:
                accounts.set_password_hash(row.id, hashed)
                accounts.delete_sessions_of(row.id)
        if row is None:
            raise SignInError(WRONG)

    def _checked(
        self, accounts: AccountRepository, email: str, password: str, client: str, now: datetime
    ) -> UserRow | None:
        """The active user whose password this is (its hash upgraded if argon2's parameters
        changed), or None with the failure counted; locked accounts and addresses refused."""
        keys = (f"account:{email_key(email)[:250]}", f"address:{client[:250]}")
        self._refuse_if_locked(accounts, keys, now)
        row = accounts.user_row_by_key(email_key(email))
        ok = secrets.password_matches(None if row is None else row.password_hash, password)
        if row is None or not ok or not row.active:
            self._count_failure(accounts, keys, now)
            return None
        accounts.clear_failures(keys[0])
        if row.password_hash and secrets.needs_rehash(row.password_hash):
            accounts.set_password_hash(row.id, secrets.hash_password(password))
        return row

    def _refuse_if_locked(
        self, accounts: AccountRepository, keys: tuple[str, ...], now: datetime
    ) -> None:
        for key in keys:
            found = accounts.failures(key)
            if found and found.locked_until and found.locked_until > now:
                wait = int((found.locked_until - now).total_seconds()) + 1
                minutes = max(1, (wait + 59) // 60)
                raise SignInThrottledError(
                    f"Too many failed sign-ins. Try again in {minutes} minute"
                    f"{'s' if minutes != 1 else ''}.",
                    retry_after_seconds=wait,
                )

    def _count_failure(
        self, accounts: AccountRepository, keys: tuple[str, ...], now: datetime
    ) -> None:
        for key, limit in zip(keys, (ACCOUNT_FAILURES, ADDRESS_FAILURES), strict=True):
            found = accounts.failures(key)
            if found is None or found.window_start + FAILURE_WINDOW < now:
                found = Failures(0, now, None)
            count = found.count + 1
            locked = now + LOCK_FOR if count >= limit else None
            accounts.save_failures(
                key,
                Failures(0 if locked else count, found.window_start if not locked else now, locked),
            )

    def sign_out(self, token: str) -> None:
        with self.database.session() as session:
            AccountRepository(session).delete_session(secrets.digest(token))

    def session_principal(self, token: str) -> Principal | None:
        """The signed-in user of a session cookie, or None (unknown, expired, inactive)."""
        if not token or len(token) > 200:
            return None
        now = self.clock.now()
        key = secrets.digest(token)
        with self.database.session(readonly=True) as session:
            found = AccountRepository(session).session_with_user(key)
            if found is None:
                return None
            row, user = found
            if row.expires_at <= now or not user.active:
                return None
            principal = _principal(user, "session", row.csrf_token)
            stale = now - row.last_seen_at >= TOUCH_EVERY
            expires = min(now + SESSION_IDLE, row.created_at + SESSION_MAX)
        if stale:
            with self.database.session() as session:
                AccountRepository(session).touch_session(key, now, expires)
        return principal

    # API keys

    def api_key_principal(self, key: str) -> Principal | None:
        if not key.startswith(secrets.API_KEY_PREFIX) or len(key) > 200:
            return None
        now = self.clock.now()
        with self.database.session(readonly=True) as session:
            found = AccountRepository(session).api_key_with_user(secrets.digest(key))
            if found is None:
                return None
            row, user = found
            if row.revoked_at is not None or not user.active:
                return None
            principal = _principal(user, "api_key", None)
            stale = row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY
            key_id = row.id
        if stale:
            with self.database.session() as session:
                AccountRepository(session).mark_api_key_used(key_id, now)
        return principal

    def create_api_key(self, owner_id: int, name: str, *, by: Principal) -> tuple[ApiKeyInfo, str]:
        """A new key for `owner_id` and the key itself, which is never shown again."""
        self._may_manage_keys_of(owner_id, by)
        label = name.strip()
        if not label or len(label) > 100:
            raise InputError("give the key a name of 1 to 100 characters", item="name")
        key = secrets.new_api_key()
        with self.database.session() as session:
            UserRepository(session).get(owner_id)
            info = AccountRepository(session).add_api_key(
                owner_id, label, key[:12], secrets.digest(key), self.clock.now()
            )
        return info, key

    def api_keys(self, *, by: Principal, everyone: bool = False) -> list[ApiKeyInfo]:
        with self.database.session(readonly=True) as session:
            if everyone:
                self._may_manage_keys_of(-1, by)
                return AccountRepository(session).api_keys()
            return AccountRepository(session).api_keys(by.user_id)

    def revoke_api_key(self, key_id: int, *, by: Principal) -> ApiKeyInfo:
        with self.database.session() as session:
            accounts = AccountRepository(session)
            info = accounts.api_key(key_id)
            self._may_manage_keys_of(info.user_id, by)
            accounts.revoke_api_key(key_id, self.clock.now())
            return accounts.api_key(key_id)

    @staticmethod
    def _may_manage_keys_of(owner_id: int, by: Principal) -> None:
        if owner_id != by.user_id and by.role is not UserRole.ADMIN:
            raise AccessDeniedError("only an administrator manages other users' API keys")

    # Passwords and the first administrator

    def set_password(self, email: str, password: str) -> None:
        """Set a user's console password; their other sessions end."""
        hashed = secrets.hash_password(password)
        with self.database.session() as session:
            accounts = AccountRepository(session)
            row = accounts.user_row_by_key(email_key(email))
            if row is None:
                raise NotFoundError(f"no leadbridge user with email {email}")
            accounts.set_password_hash(row.id, hashed)
            accounts.delete_sessions_of(row.id)

    def ensure_first_admin(self) -> tuple[str, str] | None:
        """When nobody can sign in yet, an administrator who can: (email, password), to be
        shown once. None when someone already has a password."""
        password = secrets.generated_password()
        with self.database.session() as session:
            accounts = AccountRepository(session)
            if accounts.any_password_set():
                return None
            users = UserRepository(session)
            found = users.by_email(FIRST_ADMIN_EMAIL)
            user = found or users.add(FIRST_ADMIN_EMAIL, "Administrator", role="admin")
            if user.role is not UserRole.ADMIN or not user.active:
                users.update(user.id, role="admin")
                users.set_active(user.id, True)
            accounts.set_password_hash(user.id, secrets.hash_password(password))
        return FIRST_ADMIN_EMAIL, password
