"""Console sign-in records: sessions, API keys and failed sign-in counts (see models/accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.store.models import ApiKeyRow, SignInFailureRow, UserRow, WebSessionRow


@dataclass(frozen=True)
class ApiKeyInfo:
    id: int
    user_id: int
    user_email: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Failures:
    count: int
    window_start: datetime
    locked_until: datetime | None


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Passwords

    def user_row_by_key(self, email_key: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.email_key == email_key))

    def set_password_hash(self, user_id: int, password_hash: str | None) -> None:
        row = self.session.get(UserRow, user_id)
        if row is None:
            raise NotFoundError(f"no user {user_id}")
        row.password_hash = password_hash
        self.session.flush()

    def any_password_set(self) -> bool:
        found = self.session.scalar(
            select(UserRow.id).where(UserRow.password_hash.is_not(None)).limit(1)
        )
        return found is not None

    # Sessions

    def add_session(
        self, token_digest: str, user_id: int, csrf_token: str, now: datetime, expires: datetime
    ) -> None:
        self.session.add(
            WebSessionRow(
                token_digest=token_digest,
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=expires,
            )
        )
        self.session.flush()

    def session_with_user(self, token_digest: str) -> tuple[WebSessionRow, UserRow] | None:
        found = self.session.execute(
            select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.token_digest == token_digest)
        ).first()
        return None if found is None else (found[0], found[1])

    def touch_session(self, token_digest: str, now: datetime, expires: datetime) -> None:
        self.session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.token_digest == token_digest)
            .values(last_seen_at=now, expires_at=expires)
        )

    def delete_session(self, token_digest: str) -> None:
        self.session.execute(
            delete(WebSessionRow).where(WebSessionRow.token_digest == token_digest)
        )

    def delete_sessions_of(self, user_id: int) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))

    def delete_expired_sessions(self, now: datetime) -> int:
        result = self.session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        return int(getattr(result, "rowcount", 0) or 0)

    # API keys

    def add_api_key(
        self, user_id: int, name: str, prefix: str, key_digest: str, now: datetime
    ) -> ApiKeyInfo:
        row = ApiKeyRow(
            user_id=user_id, name=name, prefix=prefix, key_digest=key_digest, created_at=now
        )
        self.session.add(row)
        self.session.flush()
        return self._key_info(row)

    def api_key_with_user(self, key_digest: str) -> tuple[ApiKeyRow, UserRow] | None:
        found = self.session.execute(
            select(ApiKeyRow, UserRow)
            .join(UserRow, UserRow.id == ApiKeyRow.user_id)
            .where(ApiKeyRow.key_digest == key_digest)
        ).first()
        return None if found is None else (found[0], found[1])

    def mark_api_key_used(self, key_id: int, now: datetime) -> None:
        self.session.execute(
            update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=now)
        )

    def api_keys(self, user_id: int | None = None) -> list[ApiKeyInfo]:
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.id.desc())
        if user_id is not None:
            query = query.where(ApiKeyRow.user_id == user_id)
        return [self._key_info(row) for row in self.session.scalars(query)]

    def api_key(self, key_id: int) -> ApiKeyInfo:
        row = self.session.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFoundError(f"no API key {key_id}")
        return self._key_info(row)

    def revoke_api_key(self, key_id: int, now: datetime) -> None:
        self.session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def _key_info(self, row: ApiKeyRow) -> ApiKeyInfo:
        email = self.session.scalar(select(UserRow.email).where(UserRow.id == row.user_id))
        return ApiKeyInfo(
            id=row.id,
            user_id=row.user_id,
            user_email=email or "",
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )

    # Failed sign-ins

    def failures(self, key: str) -> Failures | None:
        row = self.session.get(SignInFailureRow, key)
        if row is None:
            return None
        return Failures(row.failures, row.window_start, row.locked_until)

    def save_failures(self, key: str, failures: Failures) -> None:
        row = self.session.get(SignInFailureRow, key)
        if row is None:
            row = SignInFailureRow(key=key, failures=0, window_start=failures.window_start)
            self.session.add(row)
        row.failures = failures.count
        row.window_start = failures.window_start
        row.locked_until = failures.locked_until
        self.session.flush()

    def clear_failures(self, key: str) -> None:
        self.session.execute(delete(SignInFailureRow).where(SignInFailureRow.key == key))
