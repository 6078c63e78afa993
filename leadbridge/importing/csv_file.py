"""Reading an import CSV: the whole file is checked up front (size, row count, columns)
before anything is written; each row is then checked on its own (a bad row is skipped with
its line number and reason, never stopping the others)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadbridge.domain.emails import validate_email
from leadbridge.domain.fields import Origin
from leadbridge.errors import InputError
from leadbridge.store.prospect_fields import FieldCatalog

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000
EMAIL = "email"


@dataclass(frozen=True)
class CsvRow:
    """One data row: its line, and either its checked values or why it is skipped."""

    line: int
    email: str | None
    values: dict[str, Any] = field(default_factory=dict)  # without the email
    problem: str | None = None


def header(data: bytes, catalog: FieldCatalog) -> tuple[list[str], int]:
    """The column names (lower-cased, trimmed) and the number of data lines; InputError for a
    file that cannot be imported."""
    if len(data) > MAX_BYTES:
        raise InputError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", item="file")
    reader = csv.reader(_text(data))
    lines = _checked(reader)
    first = next(lines, None)
    if first is None:
        raise InputError("the file is empty", item="file")
    columns = [name.strip().lower() for name in first]
    if EMAIL not in columns:
        raise InputError("the file needs an 'email' column", item="file")
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise InputError(f"columns given twice: {', '.join(duplicates)}", item="file")
    unknown = [name for name in columns if name and name not in catalog.specs]
    if unknown:
        raise InputError(
            f"unknown columns: {', '.join(unknown)} (use prospect field names, as in "
            "`leadbridge fields list`)",
            item="file",
        )
    rows = sum(1 for _ in lines)
    if rows > MAX_ROWS:
        raise InputError(f"the file has more than {MAX_ROWS:,} rows", item="file")
    return columns, rows


def read_csv(data: bytes, catalog: FieldCatalog) -> Iterator[CsvRow]:
    """The rows of a file whose `header` passed, each checked."""
    columns, _ = header(data, catalog)
    reader = csv.reader(_text(data))
    lines = _checked(reader)
    next(lines)
    for cells in lines:
        if not any(cell.strip() for cell in cells):
            continue
        yield _row(reader.line_num, columns, cells, catalog)


def _checked(reader: Iterable[list[str]]) -> Iterator[list[str]]:
    """The reader's rows; what the csv module cannot read (a cell past its field size limit)
    becomes InputError naming the line, never an unexpected error. `header` reads the whole
    file this way first, so such a file is refused before any row is written."""
    iterator = iter(reader)
    while True:
        try:
            cells = next(iterator)
        except StopIteration:
            return
        except csv.Error as error:
            line = getattr(reader, "line_num", 0)
            raise InputError(f"line {line}: {_reason(error)}", item="file") from None
        yield cells


def _reason(error: csv.Error) -> str:
    if "field limit" in str(error):
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    return f"not readable as CSV ({error})"


def _row(line: int, columns: Sequence[str], cells: Sequence[str], catalog: FieldCatalog) -> CsvRow:
    if len(cells) > len(columns):
        return CsvRow(line, None, problem=f"{len(cells)} cells but {len(columns)} columns")
    given = {
        name: cell.strip()
        for name, cell in zip(columns, cells, strict=False)
        if name and cell.strip()
    }
    raw_email = given.pop(EMAIL, "")
    try:
        email = validate_email(raw_email)
    except InputError as error:
        return CsvRow(line, raw_email or None, problem=f"invalid email: {error.reason}")
    try:
        values = catalog.check(given, origin=Origin.IMPORT)
    except InputError as error:
        return CsvRow(line, email, problem=str(error))
    return CsvRow(line, email, values)


def _text(data: bytes) -> io.StringIO:
    try:
        return io.StringIO(data.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", item="file") from None


def rows_after(data: bytes, line: int) -> Iterator[tuple[int, str | None]]:
    """(line, email cell) of the data rows after `line`, unchecked: the rows an import that
    stopped never reached, read fast (an interrupted import should not wait on checks)."""
    reader = csv.reader(_text(data))
    lines = _checked(reader)
    columns = [name.strip().lower() for name in next(lines, [])]
    at = columns.index(EMAIL)
    for cells in lines:
        if reader.line_num <= line or not any(cell.strip() for cell in cells):
            continue
        email = cells[at].strip() if at < len(cells) else ""
        yield reader.line_num, email or None
