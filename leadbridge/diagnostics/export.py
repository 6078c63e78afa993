"""Open sync errors as a CSV file, one row each, for a spreadsheet.

Cells a spreadsheet would run as a formula (starting with =, +, -, @) get a leading
apostrophe: messages from Salesforce quote prospect data, which comes from web forms.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from leadbridge.diagnostics.views import ErrorView
from leadbridge.errors import ConflictError, InputError

COLUMNS = (
    "id",
    "status",
    "kind",
    "error_code",
    "message",
    "fields",
    "prospect_id",
    "prospect_email",
    "crm_object",
    "crm_id",
    "attempts",
    "first_seen_at",
    "last_seen_at",
    "next_attempt_at",
    "advice",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_row(view: ErrorView) -> list[str]:
    """One error as CSV cells, formula-safe, in the order of COLUMNS."""
    data = view.to_json()
    data["fields"] = "; ".join(view.fields)
    return [safe_cell(data[column]) for column in COLUMNS]


def _write(out: IO[str], views: Iterable[ErrorView]) -> int:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for view in views:
        writer.writerow(csv_row(view))
        count += 1
    return count


def write_csv(path: Path, views: Iterable[ErrorView], *, force: bool = False) -> int:
    """Write the header and one row per error; how many rows. An existing file is refused
    unless `force`, and then replaced only once the new one is complete."""
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name", item="FILE")
    if not path.parent.is_dir():
        raise InputError(f"the folder {path.parent} does not exist", item="FILE")
    target = path.with_name(f".{path.name}.{os.getpid()}.tmp") if force else path
    try:
        with target.open("x" if not force else "w", newline="", encoding="utf-8") as out:
            count = _write(out, views)
    except FileExistsError:
        raise ConflictError(
            f"{path} already exists: choose another name, or replace it with --force"
        ) from None
    except BaseException as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror}", item="FILE") from None
        raise
    if force:
        target.replace(path)
    return count
