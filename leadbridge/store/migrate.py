"""Alembic, run from code: the migrations ship inside the package (no alembic.ini)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, exc, text

from leadbridge.store.schema_head import MIGRATIONS, quick_head

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(engine: Engine | None = None) -> Config:
    """A Config pointing at the packaged migrations; env.py uses `engine` when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Upgrade to the newest revision (nothing to do when already there)."""
    if is_at_head(engine):
        return
    from alembic import command

    if current_revision(engine) == head_revision():
        return
    command.upgrade(alembic_config(engine), "head")


def is_at_head(engine: Engine) -> bool:
    """Whether the database is certainly at the newest revision, found without Alembic.

    Loading Alembic and its script directory costs a command a fifth of a second; a database
    already at head (nearly every time) needs neither. The head is read from the revision
    files' `revision` and `down_revision` lines; anything unexpected (no single head, a merge,
    no version table) answers False, and Alembic decides."""
    head = quick_head()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except exc.DBAPIError:
        return False
    return [row[0] for row in rows] == [head]
