"""The connector: login details and credentials, settings, the org's schema, sync cursors.

Secret values are stored Fernet-encrypted (see `secret_box.SecretBox`) or as the name of an
environment variable that holds them; they are decrypted only by `secrets()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadbridge.errors import ConfigurationError, InputError
from leadbridge.store.connector_settings import SETTING_NAMES, ConnectorSettings, parse_setting
from leadbridge.store.cursors import clear_cursor, read_cursor, write_cursor
from leadbridge.store.models import (
    AuthFlow,
    ConnectorRow,
    ConnectorSecretRow,
    CrmSchemaRow,
    Edition,
    SyncCursorRow,
)
from leadbridge.store.secret_box import Secret, SecretBox

CONNECTOR_ID = 1
SECRET_NAMES = ("client_secret", "password", "security_token", "private_key")
# What each login flow needs, secrets included (a security token is optional).
REQUIRED: dict[AuthFlow, tuple[str, ...]] = {
    AuthFlow.PASSWORD: ("client_id", "client_secret", "username", "password"),
    AuthFlow.CLIENT_CREDENTIALS: ("client_id", "client_secret"),
    AuthFlow.JWT: ("client_id", "username", "private_key"),
}


@dataclass(frozen=True)
class ConnectorConfig:
    """How to reach the org. Secrets are not in here: `secret_env` names environment
    variables holding some; `stored_secrets` names those stored encrypted."""

    login_url: str
    auth_flow: AuthFlow
    username: str | None = None
    client_id: str | None = None
    ca_file: str | None = None
    pubsub_endpoint: str | None = None  # the org's Pub/Sub API; None: Salesforce's own
    edition: Edition = Edition.STANDARD
    paused: bool = True
    verified_at: datetime | None = None
    secret_env: Mapping[str, str] = field(default_factory=dict)
    stored_secrets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ConnectorSecrets:
    client_secret: Secret | None = None
    password: Secret | None = None
    security_token: Secret | None = None
    private_key: Secret | None = None

    def given(self) -> dict[str, Secret]:
        return {name: value for name in SECRET_NAMES if (value := getattr(self, name))}


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError(f"{url!r} is not an http(s) URL", item="login_url")


class ConnectorRepository:
    def __init__(
        self,
        session: Session,
        secret_box: SecretBox | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.session = session
        self.box = secret_box or SecretBox()
        self.environ = os.environ if environ is None else environ

    def get(self) -> ConnectorConfig | None:
        row = self.session.get(ConnectorRow, CONNECTOR_ID)
        if row is None:
            return None
        stored = self._secret_rows()
        return ConnectorConfig(
            login_url=row.login_url,
            auth_flow=row.auth_flow,
            username=row.username,
            client_id=row.client_id,
            ca_file=row.ca_file,
            pubsub_endpoint=row.pubsub_endpoint,
            edition=row.edition,
            paused=row.paused,
            verified_at=row.verified_at,
            secret_env={s.name: s.env_var for s in stored if s.env_var is not None},
            stored_secrets=frozenset(s.name for s in stored if s.ciphertext is not None),
        )

    def save(
        self, config: ConnectorConfig, secrets: ConnectorSecrets | None = None
    ) -> ConnectorConfig:
        """Create or update the connector.

        `config.secret_env` entries are stored as environment references. When `secrets` is
        given, its values are stored encrypted and any other stored secret is removed;
        without it, stored secrets are kept (so a config can be re-saved as read)."""
        _check_url(config.login_url)
        row = self.session.get(ConnectorRow, CONNECTOR_ID) or ConnectorRow(id=CONNECTOR_ID)
        row.login_url, row.auth_flow = config.login_url, AuthFlow(config.auth_flow)
        row.username, row.client_id = config.username, config.client_id
        row.ca_file, row.pubsub_endpoint = config.ca_file, config.pubsub_endpoint
        row.edition, row.paused = Edition(config.edition), config.paused
        row.verified_at = config.verified_at
        self.session.add(row)
        self.session.flush()
        self._store_secrets(config.secret_env, secrets)
        saved = self.get()
        assert saved is not None
        self._check_complete(saved)
        return saved

    def secrets(self) -> ConnectorSecrets:
        """The credentials, decrypted or read from the environment (only here)."""
        values: dict[str, Secret] = {}
        for row in self._secret_rows():
            if row.ciphertext is not None:
                values[row.name] = self.box.decrypt(row.ciphertext)
            elif row.env_var is not None:
                values[row.name] = self._from_env(row.name, row.env_var)
        return ConnectorSecrets(**values)

    def describe(self) -> dict[str, Any]:
        """The connector as JSON-ready data for `connector show` (secrets only by source)."""
        self._row()
        config = self.get()
        assert config is not None
        sources = {name: f"env:{variable}" for name, variable in config.secret_env.items()}
        sources |= dict.fromkeys(config.stored_secrets, "stored (encrypted)")
        return {
            "login_url": config.login_url,
            "auth_flow": str(config.auth_flow),
            "username": config.username,
            "client_id": config.client_id,
            "ca_file": config.ca_file,
            "edition": str(config.edition),
            "paused": config.paused,
            "verified_at": config.verified_at.isoformat() if config.verified_at else None,
            "secrets": dict(sorted(sources.items())),
            "settings": asdict(self.settings()),
            "schemas": {name: at.isoformat() for name, at in sorted(self.schemas().items())},
        }

    def delete(self) -> None:
        """Forget the connector with its credentials, schema and cursors."""
        for model in (ConnectorSecretRow, ConnectorRow, CrmSchemaRow, SyncCursorRow):
            self.session.execute(delete(model))

    # -- settings and state --------------------------------------------------------------

    def settings(self) -> ConnectorSettings:
        row = self.session.get(ConnectorRow, CONNECTOR_ID)
        if row is None:
            return ConnectorSettings()
        return ConnectorSettings(**{name: getattr(row, name) for name in SETTING_NAMES})

    def set_setting(self, key: str, raw_value: str) -> ConnectorSettings:
        value = parse_setting(key, raw_value)
        setattr(self._row(), key, value)
        self.session.flush()
        return self.settings()

    def pause(self) -> None:
        self._row().paused = True
        self.session.flush()

    def resume(self) -> None:
        self._row().paused = False
        self.session.flush()

    def mark_verified(self, at: datetime) -> None:
        self._row().verified_at = at
        self.session.flush()

    def save_schema(self, object_name: str, described: Mapping[str, Any], at: datetime) -> None:
        row = self.session.get(CrmSchemaRow, object_name) or CrmSchemaRow(object_name=object_name)
        row.described, row.fetched_at = dict(described), at
        self.session.add(row)
        self.session.flush()

    def schema(self, object_name: str) -> dict[str, Any] | None:
        row = self.session.get(CrmSchemaRow, object_name)
        return None if row is None else dict(row.described)

    def schemas(self) -> dict[str, datetime]:
        """Object name → when its schema was fetched."""
        query = select(CrmSchemaRow.object_name, CrmSchemaRow.fetched_at)
        return dict(self.session.execute(query).all())

    def cursor(self, object_name: str, kind: str) -> str | None:
        return read_cursor(self.session, object_name, kind)

    def set_cursor(
        self, object_name: str, kind: str, value: str, at: datetime | None = None
    ) -> None:
        write_cursor(self.session, object_name, kind, value, at)

    def clear_cursor(self, object_name: str, kind: str) -> None:
        clear_cursor(self.session, object_name, kind)

    # -- helpers -------------------------------------------------------------------------

    def _row(self) -> ConnectorRow:
        row = self.session.get(ConnectorRow, CONNECTOR_ID)
        if row is None:
            raise ConfigurationError("no connector: add one with `leadbridge connector add`")
        return row

    def _secret_rows(self) -> list[ConnectorSecretRow]:
        query = select(ConnectorSecretRow).where(ConnectorSecretRow.connector_id == CONNECTOR_ID)
        return list(self.session.scalars(query))

    def _store_secrets(self, env: Mapping[str, str], secrets: ConnectorSecrets | None) -> None:
        given = {} if secrets is None else secrets.given()
        unknown = (set(env) - set(SECRET_NAMES)) | (set(env) & set(given))
        if unknown:
            raise InputError(
                "unknown, or given both as a value and as an environment variable",
                item=", ".join(sorted(unknown)),
            )
        existing = {row.name: row for row in self._secret_rows()}
        for name in SECRET_NAMES:
            row = existing.get(name) or ConnectorSecretRow(connector_id=CONNECTOR_ID, name=name)
            if name in env:
                row.ciphertext, row.env_var = None, env[name]
            elif name in given:
                row.ciphertext, row.env_var = self.box.encrypt(given[name]), None
            elif secrets is not None and name in existing:
                self.session.delete(row)
                continue
            else:
                continue
            self.session.add(row)
        self.session.flush()

    def _from_env(self, name: str, variable: str) -> Secret:
        value = self.environ.get(variable)
        if not value:
            raise ConfigurationError(
                f"environment variable {variable} (the connector's {name}) is not set"
            )
        return Secret(value)

    def _check_complete(self, config: ConnectorConfig) -> None:
        have = {"client_id": config.client_id, "username": config.username}
        available = {name for name, value in have.items() if value} | set(config.secret_env)
        available |= config.stored_secrets
        missing = [name for name in REQUIRED[config.auth_flow] if name not in available]
        if missing:
            raise InputError(
                f"the {config.auth_flow} login needs {', '.join(missing)}", item="connector"
            )
