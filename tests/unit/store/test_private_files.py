"""Data at rest: the home 0700; the SQLite database, its -wal/-shm and the secret key 0600;
the sandbox's data dir and credentials likewise. Checked with os.stat under a permissive
umask, so nothing here passes by the umask's grace."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from leadbridge.sandbox.backend import SandboxBackend, SandboxConfig
from leadbridge.settings import load_settings
from leadbridge.store import open_database
from leadbridge.store.secret_box import Secret, SecretBox


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)  # os.stat


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_a_new_sqlite_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    file = tmp_path / "home" / "data" / "leadbridge.sqlite3"
    db = open_database(f"sqlite:///{file}")
    try:
        with db.session() as session:  # a write, so the -wal and -shm files exist
            session.execute(text("CREATE TABLE t (x INTEGER)"))
        assert (mode(tmp_path / "home"), mode(file.parent)) == (0o700, 0o700)
        assert mode(file) == 0o600
        for suffix in ("-wal", "-shm"):
            assert mode(file.with_name(file.name + suffix)) == 0o600
    finally:
        db.dispose()


def test_an_existing_looser_database_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = tmp_path / "leadbridge.sqlite3"
    open_database(f"sqlite:///{file}").dispose()
    file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        open_database(f"sqlite:///{file}").dispose()
    assert mode(file) == 0o600
    assert "readable by others" in caplog.text and str(file) in caplog.text


def test_a_folder_that_already_exists_is_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    open_database(f"sqlite:///{tmp_path / 'db.sqlite3'}").dispose()
    assert mode(tmp_path) == 0o755


def test_the_secret_key_file_is_private(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key = tmp_path / "home" / "secret.key"
    SecretBox(key, environ={}).encrypt(Secret("s3cret"))
    assert (mode(key), mode(key.parent)) == (0o600, 0o700)
    key.chmod(0o644)
    token = SecretBox(key, environ={}).encrypt(Secret("again"))
    with caplog.at_level(logging.WARNING):
        assert SecretBox(key, environ={}).decrypt(token).reveal() == "again"
    assert mode(key) == 0o600
    assert "readable by others" in caplog.text
    assert "again" not in caplog.text and "s3cret" not in caplog.text


def test_a_looser_home_is_tightened_when_settings_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / ".leadbridge"
    home.mkdir(mode=0o755)
    with caplog.at_level(logging.WARNING):
        load_settings(home=home)
    assert mode(home) == 0o700
    assert f"{home} was readable by others" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        load_settings(home=home)
    assert caplog.text == ""  # once private, no more warnings
    load_settings(home=tmp_path / "missing")
    assert not (tmp_path / "missing").exists()  # loading settings creates nothing


def test_the_sandbox_data_dir_and_credentials_are_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "home" / "sandbox"
    backend = SandboxBackend(SandboxConfig(data_dir=data, memory=True))
    assert (mode(data), mode(data.parent)) == (0o700, 0o700)
    (data / "credentials.tmp").write_text("{}")
    (data / "credentials.tmp").chmod(0o644)  # a leftover from a crash
    backend.write_credentials("https://localhost:1", tmp_path / "ca.pem")
    assert mode(data / "credentials.json") == 0o600
    data.chmod(0o755)
    with caplog.at_level(logging.WARNING):
        SandboxBackend(SandboxConfig(data_dir=data, memory=True))
    assert mode(data) == 0o700
    assert "readable by others" in caplog.text
