"""Secret values: a wrapper that never prints, and Fernet encryption for storing them.

The key comes from `LEADBRIDGE_SECRET_KEY` when set, otherwise from a key file (by default
`.leadbridge/secret.key`), created with mode 0600 (in a 0700 folder when it makes the folder)
the first time a secret is stored, and tightened to 0600 (with a warning) if found looser.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from leadbridge.errors import ConfigurationError
from leadbridge.private_files import PRIVATE_FILE, create_private_dirs, tighten

KEY_ENV_VAR = "LEADBRIDGE_SECRET_KEY"
DEFAULT_KEY_FILE = Path(".leadbridge") / "secret.key"
_MASK = "**********"


class Secret:
    """A secret string: repr, str and format show stars; `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return _MASK

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return format(_MASK, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str:
        raise TypeError("a Secret cannot be pickled")


class SecretBox:
    """Encrypts and decrypts secrets; the key is read (or made) only when first needed."""

    def __init__(
        self, key_file: Path = DEFAULT_KEY_FILE, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self.key_file = key_file
        self._environ = os.environ if environ is None else environ
        self._fernet: Fernet | None = None

    def __repr__(self) -> str:
        return f"SecretBox(key_file={str(self.key_file)!r})"

    def encrypt(self, secret: Secret) -> str:
        return self._cipher(create=True).encrypt(secret.reveal().encode()).decode("ascii")

    def decrypt(self, token: str) -> Secret:
        try:
            return Secret(self._cipher(create=False).decrypt(token.encode("ascii")).decode())
        except InvalidToken:
            raise ConfigurationError(
                f"stored secrets cannot be decrypted with this key ({self._key_source()}): "
                "was the key changed? Add the connector's credentials again."
            ) from None

    def _cipher(self, *, create: bool) -> Fernet:
        if self._fernet is None:
            self._fernet = Fernet(self._load_key(create=create))
        return self._fernet

    def _key_source(self) -> str:
        return KEY_ENV_VAR if self._environ.get(KEY_ENV_VAR) else str(self.key_file)

    def _load_key(self, *, create: bool) -> bytes:
        from_env = self._environ.get(KEY_ENV_VAR)
        if from_env:
            return _checked_key(from_env.strip().encode("ascii"), KEY_ENV_VAR)
        if self.key_file.exists():
            tighten(self.key_file, PRIVATE_FILE)
            return _checked_key(self.key_file.read_bytes().strip(), str(self.key_file))
        if not create:
            raise ConfigurationError(f"no secret key: set {KEY_ENV_VAR} or restore {self.key_file}")
        return _create_key_file(self.key_file)


def _checked_key(key: bytes, source: str) -> bytes:
    try:
        Fernet(key)
    except ValueError:
        raise ConfigurationError(
            f"{source} does not hold a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None
    return key


def _create_key_file(path: Path) -> bytes:
    """A new key in a file only its owner can read (created 0600, never widened)."""
    create_private_dirs(path.parent)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _checked_key(path.read_bytes().strip(), str(path))
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key
