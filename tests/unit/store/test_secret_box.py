from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from leadbridge.errors import ConfigurationError
from leadbridge.store import Secret, SecretBox


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2")
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>20}", str([secret])]
    assert all("hunter2" not in text for text in shown)
    assert str(secret) == "**********"
    assert secret.reveal() == "hunter2"
    assert secret == Secret("hunter2") and secret != Secret("other")
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    key_file = tmp_path / ".leadbridge" / "secret.key"
    box = SecretBox(key_file, environ={})
    token = box.encrypt(Secret("value"))
    assert "value" not in token
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert SecretBox(key_file, environ={}).decrypt(token) == Secret("value")


def test_decrypting_without_a_key_does_not_create_one(tmp_path: Path) -> None:
    box = SecretBox(tmp_path / "secret.key", environ={})
    with pytest.raises(ConfigurationError, match="no secret key"):
        box.decrypt("gAAAA")
    assert not (tmp_path / "secret.key").exists()


def test_environment_key_wins_and_is_checked(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    box = SecretBox(tmp_path / "secret.key", environ={"LEADBRIDGE_SECRET_KEY": key})
    token = box.encrypt(Secret("v"))
    assert not (tmp_path / "secret.key").exists()
    assert Fernet(key.encode()).decrypt(token.encode()) == b"v"
    bad = SecretBox(tmp_path / "secret.key", environ={"LEADBRIDGE_SECRET_KEY": "short"})
    with pytest.raises(ConfigurationError, match="LEADBRIDGE_SECRET_KEY does not hold"):
        bad.encrypt(Secret("v"))
    assert "short" not in repr(bad)


def test_importing_the_store_touches_nothing(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", "import leadbridge.store"], cwd=tmp_path, check=True)
    assert list(tmp_path.iterdir()) == []
