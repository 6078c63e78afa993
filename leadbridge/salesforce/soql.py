"""SOQL text built safely: every literal escaped, every name checked, statements kept in limits.

Chunking choice: an `IN (...)` list is cut so that each statement stays under a budget of
URL-encoded characters (`StatementLimits.max_url_chars`, 10,000 by default) and at most
`max_values` values (500). The budget, not a fixed count, is what matters: Salesforce answers
414 once a request URI passes 16,384 bytes (`MAX_URI_BYTES`, about 800 record ids), emails
vary in length, and a quote, a backslash or a non-ASCII letter takes 3 to 12 bytes once
percent-encoded, so ~300-400 typical emails fit in one statement. Salesforce counts the
headers with the URI (431 Request Header Fields Too Large), so the client refuses a budget
past the limit less the query path and `HEADER_ROOM` (`StatementLimits.check_uri_room`) and
checks every GET query it sends (`check_query_uri`). Statements also stay under
SOQL's own limits: 100,000 characters per statement and 4,000 per string literal. A value
that cannot fit (a literal over 4,000 characters) is skipped with a reason instead of
failing the whole lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import quote_plus

from leadbridge.errors import InputError

MAX_STATEMENT_CHARS = 100_000
MAX_LITERAL_CHARS = 4_000
MAX_URI_BYTES = 16_384  # Salesforce answers 414 URI Too Long past this
# Salesforce counts the headers with the URI (431 past 16,384 bytes together): room for the
# Authorization header (a token of a few hundred bytes) and the HTTP client's own headers.
HEADER_ROOM = 2_048
_LONGEST_QUERY_PATH = "/services/data/v99.9/queryAll/?q="

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_OBJECT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def _escape_char(char: str) -> str:
    escaped = _ESCAPES.get(char)
    if escaped is not None:
        return escaped
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"\\u{ord(char):04x}"
    return char


# The same escapes as one table for str.translate (quoting thousands of emails per lookup).
_TRANSLATION = {code: _escape_char(chr(code)) for code in (*range(0x20), 0x7F, *map(ord, _ESCAPES))}


def quote(value: str) -> str:
    """A SOQL string literal: `o'brien@example.com` → `'o\\'brien@example.com'`.

    Backslash, both quotes, newline, carriage return, tab, backspace and form feed get
    Salesforce's backslash escapes; other control characters become `\\uXXXX`.
    """
    if len(value) > MAX_LITERAL_CHARS:
        raise InputError(
            f"is {len(value):,} characters long; SOQL string literals are limited to "
            f"{MAX_LITERAL_CHARS:,}",
            item="SOQL value",
        )
    return "'" + value.translate(_TRANSLATION) + "'"


def datetime_literal(moment: datetime) -> str:
    """A SOQL datetime literal in UTC, to the second: `2024-01-01T00:00:00Z`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("SOQL datetimes must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def literal(value: object) -> str:
    """Any Python value as a SOQL literal (strings quoted and escaped)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"no SOQL literal for a {type(value).__name__}")


def field_name(name: str) -> str:
    """`name` if it is a field API name or a parent path (`Owner.Email`), else InputError."""
    if not _FIELD.match(name) or ".." in name or name.endswith("."):
        raise InputError(f"{name!r} is not a Salesforce field API name", item="field")
    return name


def object_name(name: str) -> str:
    if not _OBJECT.match(name):
        raise InputError(f"{name!r} is not a Salesforce object API name", item="object")
    return name


def field_list(fields: Iterable[str], *, required: Sequence[str] = ("Id",)) -> list[str]:
    """Validated field names, `required` first, duplicates (any case) dropped."""
    seen: set[str] = set()
    result: list[str] = []
    for name in [*required, *fields]:
        key = field_name(name).lower()
        if key not in seen:
            seen.add(key)
            result.append(name)
    return result


def select(
    fields: Iterable[str], object_api_name: str, *, required: Sequence[str] = ("Id",)
) -> str:
    """`SELECT <fields> FROM <object>` with the names checked."""
    names = ", ".join(field_list(fields, required=required))
    return f"SELECT {names} FROM {object_name(object_api_name)}"


def in_clause(field_api_name: str, values: Iterable[object]) -> str:
    """`Field IN ('a', 'b')`, each value a quoted literal."""
    items = [literal(value) for value in values]
    if not items:
        raise InputError("an IN list needs at least one value", item=field_api_name)
    return f"{field_name(field_api_name)} IN ({', '.join(items)})"


@dataclass(frozen=True)
class StatementLimits:
    max_url_chars: int = 10_000  # URL-encoded length of one statement (see the module docstring)
    max_values: int = 500
    max_statement_chars: int = MAX_STATEMENT_CHARS

    def check_uri_room(self) -> None:
        """ValueError when statements this long could not be sent as a GET query."""
        room = MAX_URI_BYTES - HEADER_ROOM - len(_LONGEST_QUERY_PATH)
        if self.max_url_chars > room:
            raise ValueError(
                f"max_url_chars {self.max_url_chars:,} leaves no room under Salesforce's "
                f"{MAX_URI_BYTES:,}-byte request URI limit, headers included (at most {room:,})"
            )


def query_uri_length(statement: str, api_version: str) -> int:
    """The bytes of the request URI that runs `statement` as a GET query (or queryAll)."""
    return len(f"/services/data/v{api_version}/queryAll/?q=") + _encoded_len(statement)


def check_query_uri(statement: str, api_version: str) -> None:
    """InputError, before anything is sent, for a statement Salesforce would refuse as too
    long a request URI."""
    length = query_uri_length(statement, api_version)
    if length + HEADER_ROOM > MAX_URI_BYTES:
        raise InputError(
            f"would make a {length:,}-byte request URI once URL-encoded; Salesforce refuses "
            f"requests whose URI and headers pass {MAX_URI_BYTES:,} bytes (select fewer fields "
            "or split the IN list)",
            item=f"SOQL query {statement[:60]!r}…",
        )


@dataclass(frozen=True)
class Skipped:
    value: str
    reason: str


@dataclass
class Statements:
    """The statements to run, and the values that could not be looked up, with why."""

    statements: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


_URL_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9_.~ -]")  # each becomes %XX (a space: "+")


def _encoded_len(text: str) -> int:
    """len(quote_plus(text, safe="")), counted without encoding ASCII text."""
    if text.isascii():
        return len(text) + 2 * len(_URL_UNSAFE_ASCII.findall(text))
    return len(quote_plus(text, safe=""))


def in_statements(
    prefix: str,
    field_api_name: str,
    values: Iterable[str],
    *,
    suffix: str = "",
    limits: StatementLimits = StatementLimits(),
) -> Statements:
    """`{prefix}{field} IN (...){suffix}` statements covering every value within `limits`.

    `prefix` is e.g. `SELECT Id FROM Lead WHERE `; `suffix` e.g. ` AND (IsConverted = false)`.
    """
    head = f"{prefix}{field_name(field_api_name)} IN ("
    tail = f"){suffix}"
    fixed_raw = len(head) + len(tail)
    fixed_url = _encoded_len(head) + _encoded_len(tail)
    separator_raw, separator_url = 2, _encoded_len(", ")
    result = Statements()
    chunk: list[str] = []
    raw, url = fixed_raw, fixed_url

    def flush() -> None:
        nonlocal chunk, raw, url
        if chunk:
            result.statements.append(head + ", ".join(chunk) + tail)
        chunk, raw, url = [], fixed_raw, fixed_url

    for value in values:
        if len(value) > MAX_LITERAL_CHARS:
            result.skipped.append(
                Skipped(value, f"longer than SOQL's {MAX_LITERAL_CHARS:,}-character literal limit")
            )
            continue
        item = quote(value)
        item_raw, item_url = len(item) + separator_raw, _encoded_len(item) + separator_url
        if (
            fixed_raw + item_raw > limits.max_statement_chars
            or fixed_url + item_url > limits.max_url_chars
        ):
            result.skipped.append(Skipped(value, "too long to fit in one query"))
            continue
        if chunk and (
            len(chunk) >= limits.max_values
            or raw + item_raw > limits.max_statement_chars
            or url + item_url > limits.max_url_chars
        ):
            flush()
        chunk.append(item)
        raw += item_raw
        url += item_url
    flush()
    return result
