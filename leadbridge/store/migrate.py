"""Alembic, run from code: the migrations ship inside the package (no alembic.ini)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, exc, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision(?:: *str)? *= *[\"']([^\"']+)[\"'] *$", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision(?:: *[^=]+)? *= *(None|[\"']([^\"']+)[\"']) *$", re.MULTILINE
)


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
    head = _quick_head()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except exc.DBAPIError:
        return False
    return [row[0] for row in rows] == [head]


def _quick_head() -> str | None:
    revisions: set[str] = set()
    parents: set[str] = set()
    for file in (MIGRATIONS / "versions").glob("*.py"):
        source = file.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if not revision and not down:
            continue  # __init__.py and helpers
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0][0] != "None":
            if not down[0][1]:
                return None
            parents.add(down[0][1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
