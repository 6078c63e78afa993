"""Salesforce's query errors, including the multi-line "ERROR at Row:R:Column:C" form.

Salesforce reports parse and validation errors with a snippet of the statement around the
failing position, a caret under it and the 1-based row and column, e.g.::

    \nSELECT Id FRM Lead\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'
"""

from __future__ import annotations

from leadbridge.sandbox.exceptions import SalesforceError

# How far the snippet reaches either side of the error (Salesforce shows about 40 characters).
_CONTEXT = 40


def located(code: str, source: str, pos: int, message: str) -> SalesforceError:
    """An error whose message points at character offset `pos` of `source`."""
    row, column, line = _locate(source, pos)
    index = column - 1
    start = _snippet_start(line, index)
    end = _snippet_end(line, index)
    caret = " " * (index - start) + "^"
    text = f"\n{line[start:end]}\n{caret}\nERROR at Row:{row}:Column:{column}\n{message}"
    return SalesforceError(code, text)


def malformed_at(source: str, pos: int, message: str) -> SalesforceError:
    return located("MALFORMED_QUERY", source, pos, message)


def unexpected_token(source: str, pos: int, token: str) -> SalesforceError:
    return malformed_at(source, pos, f"unexpected token: '{token}'")


def invalid_field_at(source: str, pos: int, message: str) -> SalesforceError:
    return located("INVALID_FIELD", source, pos, message)


def _locate(source: str, pos: int) -> tuple[int, int, str]:
    """1-based row and column of `pos`, and the text of that row."""
    pos = max(0, min(pos, len(source)))
    row_start = source.rfind("\n", 0, pos) + 1
    row_end = source.find("\n", pos)
    if row_end == -1:
        row_end = len(source)
    row = source.count("\n", 0, pos) + 1
    return row, pos - row_start + 1, source[row_start:row_end]


def _snippet_start(line: str, index: int) -> int:
    start = max(0, index - _CONTEXT)
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    return start


def _snippet_end(line: str, index: int) -> int:
    end = min(len(line), index + _CONTEXT)
    while end < len(line) and not line[end].isspace():
        end += 1
    return end
