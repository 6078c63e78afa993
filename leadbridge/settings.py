"""Settings from the environment (`LEADBRIDGE_*`) with embedded defaults; built on demand.

The home (`.leadbridge/` by default) holds the database, the secret key and the sandbox's
credentials: it is made 0700 by whoever creates it first, and tightened to 0700 (with a
warning) when the settings are loaded and it is found looser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from leadbridge.private_files import PRIVATE_DIR, tighten

DEFAULT_HOME = Path(".leadbridge")
DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")


def _comma_list(value: object) -> object:
    """`a, b,c` from the environment as a list (a JSON list works too)."""
    if isinstance(value, str) and not value.strip().startswith("["):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, str):
        return json.loads(value)
    return value


class Settings(BaseSettings):
    """`LEADBRIDGE_DATABASE_URL`, `LEADBRIDGE_HOME`, `LEADBRIDGE_SECRET_KEY`, …"""

    model_config = SettingsConfigDict(env_prefix="LEADBRIDGE_", extra="ignore")

    home: Path = Field(default=DEFAULT_HOME, description="Where leadbridge keeps its files.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; SQLite in HOME when unset, or postgresql+psycopg://…",
    )
    sandbox_port: int = Field(default=8443, ge=1, le=65535)
    console_port: int = Field(
        default=8080, ge=1, le=65535, description="Where `leadbridge run` serves the console."
    )
    form_rate_per_minute: float = Field(
        default=30.0, gt=0, description="Form posts a minute one client IP may make."
    )
    form_rate_burst: int = Field(
        default=10, ge=1, description="Form posts one client IP may make at once."
    )

    change_stream: bool = Field(
        default=True,
        description="Run the change stream (Change Data Capture) beside the sync loop and in "
        "workers; `off` leaves Salesforce's changes to polling on this machine.",
    )
    workers: bool = Field(
        default=False,
        description="PostgreSQL: `rules run` and `import` on the command line hand their work "
        "to `leadbridge worker` processes (as `--workers` does).",
    )

    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS),
        description="Host names the HTTP app answers for, comma-separated (`*.example.com` "
        "for subdomains); others get 400.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-Proto/-For headers are "
        "believed (comma-separated; `*` for any): behind TLS the scheme is then https.",
    )

    _split_lists = field_validator("allowed_hosts", "trusted_proxies", mode="before")(_comma_list)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'leadbridge.sqlite3'}"

    @property
    def sandbox_dir(self) -> Path:
        return self.home / "sandbox"


def load_settings(**overrides: object) -> Settings:
    """Read the environment now (never at import time); keyword arguments win. An existing
    home that others may read is tightened to 0700."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.home.is_dir():
        tighten(settings.home, PRIVATE_DIR)
    return settings
