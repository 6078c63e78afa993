"""The newest schema revision, read from the migration files without Alembic or SQLAlchemy.

Loading Alembic and its script directory costs a command a fifth of a second; a database
already at head (nearly every time) needs neither. The head is read from the revision files'
`revision` and `down_revision` lines; anything unexpected (no single head, a merge) answers
None, and Alembic decides."""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision(?:: *str)? *= *[\"']([^\"']+)[\"'] *$", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision(?:: *[^=]+)? *= *(None|[\"']([^\"']+)[\"']) *$", re.MULTILINE
)


def quick_head() -> str | None:
    """The single head revision, or None when the files do not make that plain."""
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
