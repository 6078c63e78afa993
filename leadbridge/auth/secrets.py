"""Passwords (argon2id) and the random tokens behind sessions, CSRF and API keys."""

from __future__ import annotations

import hashlib
import secrets as random_source

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from leadbridge.errors import InputError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this keeps a request from costing much
API_KEY_PREFIX = "lbk_"
_HASHER = PasswordHasher()
# Verified against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _HASHER.hash("leadbridge: no such user")


def check_password_rules(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"use at least {MIN_PASSWORD_LENGTH} characters (a passphrase is easiest)",
            item="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"use at most {MAX_PASSWORD_LENGTH} characters", item="password")
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(check_password_rules(password))


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; always does the work of one verification."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def new_token() -> str:
    """256 random bits, URL-safe."""
    return random_source.token_urlsafe(32)


def new_api_key() -> str:
    return API_KEY_PREFIX + random_source.token_urlsafe(32)


def generated_password() -> str:
    return random_source.token_urlsafe(18)


def digest(token: str) -> str:
    """What is stored for a session token or an API key (they are random: no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return random_source.compare_digest(a.encode(), b.encode())
