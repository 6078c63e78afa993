"""Settings from the environment (`LEADBRIDGE_*`) with embedded defaults; built on demand.

The home (`.leadbridge/` by default) holds the database, the secret key and the sandbox's
credentials: it is made 0700 by whoever creates it first, and tightened to 0700 (with a
warning) when the settings are loaded and it is found looser."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadbridge.private_files import PRIVATE_DIR, tighten

DEFAULT_HOME = Path(".leadbridge")


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
