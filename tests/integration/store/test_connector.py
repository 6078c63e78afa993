from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from leadbridge.errors import ConfigurationError, InputError
from leadbridge.store import (
    AuthFlow,
    ConnectorConfig,
    ConnectorRepository,
    ConnectorSecrets,
    ConnectorSettings,
    Database,
    Edition,
    Secret,
    SecretBox,
)
from leadbridge.store.models import ConnectorSecretRow
from tests.integration.store.support import FakeClock

CONFIG = ConnectorConfig(
    login_url="https://login.example.com",
    auth_flow=AuthFlow.PASSWORD,
    username="integration@org.example",
    client_id="3MVG9-client",
    edition=Edition.PLUS,
)
SECRETS = ConnectorSecrets(
    client_secret=Secret("client-secret-value-123"),
    password=Secret("hunter2-password"),
    security_token=Secret("TOKEN-abcdef"),
)


def test_a_new_connector_is_paused_with_default_settings(
    db: Database, secret_box: SecretBox
) -> None:
    with db.session() as session:
        connector = ConnectorRepository(session, secret_box)
        assert connector.get() is None
        assert connector.settings() == ConnectorSettings()
        saved = connector.save(CONFIG, SECRETS)
    assert saved.paused
    assert saved.stored_secrets == {"client_secret", "password", "security_token"}
    settings = ConnectorSettings()
    assert (settings.auto_create_prospects, settings.apply_crm_email_changes) == (False, False)
    assert (settings.poll_interval_seconds, settings.sync_deletes_and_merges) == (120, True)
    assert (settings.api_budget_percent, settings.bulk_threshold) == (50, 10_000)
    assert settings.placeholder_company == "[not provided]"


def test_secrets_are_encrypted_at_rest_and_decrypted_on_request(
    db: Database, secret_box: SecretBox
) -> None:
    with db.session() as session:
        ConnectorRepository(session, secret_box).save(CONFIG, SECRETS)
    with db.session() as session:
        stored = [row.ciphertext or "" for row in session.scalars(select(ConnectorSecretRow))]
        raw = " ".join(stored)
        for secret in ("client-secret-value-123", "hunter2-password", "TOKEN-abcdef"):
            assert secret not in raw
        connector = ConnectorRepository(session, secret_box)
        config = connector.get()
        assert "hunter2" not in repr(config) and "hunter2" not in str(connector.describe())
        assert connector.secrets() == SECRETS
        assert connector.secrets().password is not None
        assert connector.secrets().password.reveal() == "hunter2-password"  # type: ignore[union-attr]
    assert secret_box.key_file.exists()
    assert secret_box.key_file.stat().st_mode & 0o777 == 0o600


def test_a_different_key_cannot_decrypt(
    db: Database, secret_box: SecretBox, tmp_path: Path
) -> None:
    with db.session() as session:
        ConnectorRepository(session, secret_box).save(CONFIG, SECRETS)
    other = SecretBox(tmp_path / "other.key", environ={})
    other.encrypt(Secret("make the key"))
    with db.session() as session, pytest.raises(ConfigurationError, match="cannot be decrypted"):
        ConnectorRepository(session, other).secrets()


def test_secrets_from_environment_references(db: Database, secret_box: SecretBox) -> None:
    config = ConnectorConfig(
        login_url="https://login.example.com",
        auth_flow=AuthFlow.CLIENT_CREDENTIALS,
        client_id="3MVG9-client",
        secret_env={"client_secret": "SF_CLIENT_SECRET"},
    )
    with db.session() as session:
        connector = ConnectorRepository(session, secret_box, environ={"SF_CLIENT_SECRET": "s3"})
        saved = connector.save(config)
        assert saved.secret_env == {"client_secret": "SF_CLIENT_SECRET"}
        assert saved.stored_secrets == frozenset()
        assert connector.secrets().client_secret == Secret("s3")
        assert connector.describe()["secrets"] == {"client_secret": "env:SF_CLIENT_SECRET"}
    assert not secret_box.key_file.exists()  # nothing was encrypted
    with db.session() as session, pytest.raises(ConfigurationError, match="SF_CLIENT_SECRET"):
        ConnectorRepository(session, secret_box, environ={}).secrets()


def test_resaving_keeps_secrets_and_new_secrets_replace_them(
    db: Database, secret_box: SecretBox
) -> None:
    with db.session() as session:
        connector = ConnectorRepository(session, secret_box)
        connector.save(CONFIG, SECRETS)
        config = connector.get()
        assert config is not None
        from dataclasses import replace

        connector.save(replace(config, login_url="https://test.example.com"))
        assert connector.secrets() == SECRETS
        connector.save(config, ConnectorSecrets(client_secret=Secret("c"), password=Secret("p")))
        assert connector.secrets().security_token is None


@pytest.mark.parametrize(
    ("config", "secrets", "message"),
    [
        (CONFIG, ConnectorSecrets(client_secret=Secret("c")), "needs password"),
        (
            ConnectorConfig("https://x.example.com", AuthFlow.JWT, client_id="c"),
            None,
            "needs username, private_key",
        ),
        (ConnectorConfig("ftp://x", AuthFlow.JWT), None, "not an http"),
    ],
)
def test_incomplete_connectors_are_refused(
    db: Database,
    secret_box: SecretBox,
    config: ConnectorConfig,
    secrets: ConnectorSecrets | None,
    message: str,
) -> None:
    with db.session() as session, pytest.raises(InputError, match=message):
        ConnectorRepository(session, secret_box).save(config, secrets)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("poll_interval_seconds", "2", "poll_interval_seconds must be between 5 and 3600"),
        ("poll_interval_seconds", "3601", "poll_interval_seconds must be between 5 and 3600"),
        ("poll_interval_seconds", "soon", "poll_interval_seconds must be a whole number"),
        ("api_budget_percent", "0", "api_budget_percent must be between 1 and 100"),
        ("auto_create_prospects", "maybe", "auto_create_prospects must be true or false"),
        ("placeholder_company", "  ", "placeholder_company must be 1 to 255 characters"),
        ("colour", "blue", "no setting 'colour'; the settings are auto_create_prospects"),
    ],
)
def test_settings_are_validated(
    db: Database, secret_box: SecretBox, key: str, value: str, message: str
) -> None:
    with db.session() as session:
        connector = ConnectorRepository(session, secret_box)
        connector.save(CONFIG, SECRETS)
        with pytest.raises(InputError, match=message):
            connector.set_setting(key, value)


def test_settings_pause_resume_and_verification(
    db: Database, secret_box: SecretBox, clock: FakeClock
) -> None:
    with db.session() as session:
        connector = ConnectorRepository(session, secret_box)
        with pytest.raises(ConfigurationError, match="no connector"):
            connector.set_setting("poll_interval_seconds", "60")
        connector.save(CONFIG, SECRETS)
        connector.set_setting("poll_interval_seconds", " 60 ")
        connector.set_setting("auto_create_prospects", "on")
        settings = connector.set_setting("bulk_threshold", "20,000")
        assert (settings.poll_interval_seconds, settings.auto_create_prospects) == (60, True)
        assert settings.bulk_threshold == 20_000
        connector.resume()
        connector.mark_verified(clock.now())
    with db.session() as session:
        connector = ConnectorRepository(session, secret_box)
        config = connector.get()
        assert config is not None and not config.paused and config.verified_at == clock.now()
        assert connector.settings().poll_interval_seconds == 60
        connector.pause()
        assert connector.describe()["paused"] is True


def test_schema_and_cursors(db: Database, secret_box: SecretBox, clock: FakeClock) -> None:
    described = {"name": "Lead", "fields": [{"name": "Email", "type": "email"}]}
    with db.session() as session:
        connector = ConnectorRepository(session, secret_box)
        assert connector.schema("Lead") is None
        connector.save_schema("Lead", described, clock.now())
        connector.save_schema("Lead", {**described, "label": "Lead"}, clock.tick())
        assert connector.schema("Lead") == {**described, "label": "Lead"}
        assert connector.schemas() == {"Lead": clock.now()}
        assert connector.cursor("Lead", "changed") is None
        connector.set_cursor("Lead", "changed", "2026-03-01T12:00:00Z", clock.now())
        connector.set_cursor(
            "Lead", "changed", "2026-03-01T12:02:00Z", clock.now() + timedelta(minutes=2)
        )
        connector.set_cursor("Lead", "deleted", "x")
        assert connector.cursor("Lead", "changed") == "2026-03-01T12:02:00Z"
        connector.save(CONFIG, SECRETS)
        connector.delete()
        assert connector.get() is None and connector.schema("Lead") is None
        assert connector.cursor("Lead", "changed") is None
