"""Splits a SOQL statement into tokens, decoding string, number, date and datetime literals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum

from leadbridge.sandbox.soql.ast import DateLit, DateTimeLit, NumberLit, StringLit
from leadbridge.sandbox.soql.errors import malformed_at, unexpected_token

MAX_STRING_LITERAL = 4000


class Kind(Enum):
    IDENT = "ident"
    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    OP = "op"
    PUNCT = "punct"
    EOF = "eof"


Literal = StringLit | NumberLit | DateLit | DateTimeLit


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # as written in the statement ('<EOF>' for the end)
    pos: int
    literal: Literal | None = None

    @property
    def upper(self) -> str:
        return self.text.upper()


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<datetime>\d{4}-\d{2}-\d{2}T[0-9:.]*(?:Z|[+-][0-9:]*)?)
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>[+-]?(?:\d+(?:\.\d+)?|\.\d+))
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),.:])
    """,
    re.VERBOSE,
)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})\Z"
)
_KINDS = {
    "datetime": Kind.DATETIME,
    "date": Kind.DATE,
    "number": Kind.NUMBER,
    "ident": Kind.IDENT,
    "op": Kind.OP,
    "punct": Kind.PUNCT,
}
_PLAIN = re.compile(r"[^'\\]+")
_UNESCAPED_STRING = re.compile(r"'([^'\\]*)'")  # the common case: nothing to decode
_ESCAPES = {
    "n": "\n",
    "N": "\n",
    "r": "\r",
    "R": "\r",
    "t": "\t",
    "T": "\t",
    "b": "\b",
    "B": "\b",
    "f": "\f",
    "F": "\f",
    '"': '"',
    "'": "'",
}
_LIKE_SPECIAL = frozenset("%_\\")


def tokenize(source: str) -> list[Token]:
    """All tokens of `source`, ending with an EOF token; raises MALFORMED_QUERY on bad input."""
    tokens: list[Token] = []
    pos = 0
    length = len(source)
    while pos < length:
        char = source[pos]
        if char == " ":  # the commonest characters of long IN lists, without the regex
            pos += 1
            continue
        if char == "'":
            token = _string(source, pos)
        elif char == ",":
            token = Token(Kind.PUNCT, char, pos)
        else:
            match = _TOKEN.match(source, pos)
            if match is None:
                raise malformed_at(source, pos, f"no viable alternative at character '{char}'")
            kind = match.lastgroup
            if kind == "ws":
                pos = match.end()
                continue
            token = _simple(source, pos, _KINDS[str(kind)], match.group())
        tokens.append(token)
        pos = token.pos + len(token.text)
    tokens.append(Token(Kind.EOF, "<EOF>", length))
    return tokens


def _simple(source: str, pos: int, kind: Kind, text: str) -> Token:
    literal: Literal | None = None
    if kind is Kind.NUMBER:
        literal = NumberLit(float(text) if "." in text else int(text), pos)
    elif kind is Kind.DATE:
        literal = DateLit(_date(source, pos, text), pos)
    elif kind is Kind.DATETIME:
        literal = DateTimeLit(_datetime(source, pos, text), pos)
    return Token(kind, text, pos, literal)


def _date(source: str, pos: int, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise unexpected_token(source, pos, text) from None


def _datetime(source: str, pos: int, text: str) -> datetime:
    match = _DATETIME.match(text)
    if match is None:
        raise unexpected_token(source, pos, text)
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zone = match.group(7) or "0", match.group(8)
    try:
        moment = datetime(year, month, day, hour, minute, second, int(fraction[:6].ljust(6, "0")))
    except ValueError:
        raise unexpected_token(source, pos, text) from None
    return moment.replace(tzinfo=_zone(zone))


def _zone(text: str) -> timezone:
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-offset if text[0] == "-" else offset)


def _string(source: str, start: int) -> Token:
    """A single-quoted string literal starting at `start`, with Salesforce's escapes decoded."""
    plain = _UNESCAPED_STRING.match(source, start)
    if plain is not None and len(plain.group(1)) <= MAX_STRING_LITERAL:
        return Token(Kind.STRING, plain.group(), start, StringLit(plain[1], plain[1], start))
    value: list[str] = []
    like: list[str] = []
    pos = start + 1
    while True:
        match = _PLAIN.match(source, pos)
        if match is not None:
            value.append(match.group())
            like.append(match.group())
            pos = match.end()
        if pos >= len(source):
            raise malformed_at(source, len(source), "mismatched character '<EOF>' expecting '''")
        if source[pos] == "'":
            break
        pos = _escape(source, start, pos, value, like)
    text = source[start : pos + 1]
    decoded = "".join(value)
    if len(decoded) > MAX_STRING_LITERAL:
        raise malformed_at(
            source,
            start,
            f"String literal is too long: {len(decoded)} characters, the maximum is "
            f"{MAX_STRING_LITERAL}",
        )
    return Token(Kind.STRING, text, start, StringLit(decoded, "".join(like), start))


def _escape(source: str, start: int, pos: int, value: list[str], like: list[str]) -> int:
    """Decode the escape sequence at `pos` (a backslash); returns the position after it."""
    code = source[pos + 1 : pos + 2]
    if code in _ESCAPES:
        value.append(_ESCAPES[code])
        like.append(_ESCAPES[code])
        return pos + 2
    if code == "\\":
        value.append("\\")
        like.append("\\\\")
        return pos + 2
    if code in {"%", "_"}:
        # Only meaningful in LIKE, where it matches the character itself.
        value.append("\\" + code)
        like.append("\\" + code)
        return pos + 2
    hex_digits = source[pos + 2 : pos + 6]
    if code == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", hex_digits):
        char = chr(int(hex_digits, 16))
        value.append(char)
        like.append("\\" + char if char in _LIKE_SPECIAL else char)
        return pos + 6
    raise malformed_at(
        source,
        start,
        f"Invalid string literal '{_raw_body(source, start)}'. Illegal character sequence "
        f"'\\{code}' in string literal.",
    )


def _raw_body(source: str, start: int) -> str:
    """The text between the quotes of the literal at `start`, as written."""
    pos = start + 1
    while pos < len(source) and source[pos] != "'":
        pos += 2 if source[pos] == "\\" else 1
    return source[start + 1 : min(pos, len(source))]
