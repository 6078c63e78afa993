"""Row ids typed by people (`prospects show 42`, `/api/v1/prospects/42`), read safely.

Only ASCII digits make an id: `str.isdigit` also accepts `٣` and `²` (the second of which
`int` then refuses), and a number past the column's range overflows the database driver
(SQLite: OverflowError; PostgreSQL: "integer out of range"), which used to surface as a 500.
Ids are 32-bit integers on PostgreSQL, so that is the range accepted everywhere.
"""

from __future__ import annotations

from leadbridge.errors import NotFoundError

MAX_ROW_ID = 2**31 - 1


def is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def row_id(text: str, what: str) -> int | None:
    """The id `text` names, or None when it is not a number (maybe an email or a name);
    NotFoundError when it is a number no row can have (0, or past the range)."""
    clean = text.strip()
    if not is_ascii_digits(clean):
        return None
    if len(clean) > len(str(MAX_ROW_ID)) or not 1 <= int(clean) <= MAX_ROW_ID:
        raise NotFoundError(f"no {what} with id {clean[:20]}{'…' if len(clean) > 20 else ''}")
    return int(clean)
