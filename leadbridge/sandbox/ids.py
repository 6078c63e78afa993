"""Salesforce record IDs: 15-character case-sensitive form plus the 3-character checksum suffix."""

from __future__ import annotations

import re
from functools import lru_cache

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_PATTERN = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Za-z0-5]{3})?$")
# Characters 4-6 hold the pod/instance in real IDs; the sandbox's is fixed.
_INSTANCE = "5g0"


def checksum(id15: str) -> str:
    """The 3-character suffix that makes a 15-character ID case-insensitively unique."""
    if len(id15) != 15:
        raise ValueError(f"expected 15 characters, got {len(id15)}")
    return _group_code(id15[0:5]) + _group_code(id15[5:10]) + _group_code(id15[10:15])


@lru_cache(maxsize=65536)
def _group_code(group: str) -> str:
    """One suffix character: bit i set when the group's i-th character is upper case."""
    bits = 0
    for offset, char in enumerate(group):
        if "A" <= char <= "Z":
            bits |= 1 << offset
    return _SUFFIX_ALPHABET[bits]


def to18(record_id: str) -> str:
    """Normalise a 15- or 18-character ID to its 18-character form (raises ValueError)."""
    if not _ID_PATTERN.match(record_id):
        raise ValueError(f"not a Salesforce ID: {record_id!r}")
    id15 = record_id[:15]
    if len(record_id) == 18 and record_id[15:].upper() != checksum(id15):
        # An 18-character ID typed in the wrong case: the suffix tells the real case.
        id15 = _recase(id15, record_id[15:].upper())
    return id15 + checksum(id15)


def _recase(id15: str, suffix: str) -> str:
    chars = list(id15)
    for group, code in enumerate(suffix):
        bits = _SUFFIX_ALPHABET.index(code)
        for offset in range(5):
            index = group * 5 + offset
            if chars[index].isalpha():
                upper = bool(bits & (1 << offset))
                chars[index] = chars[index].upper() if upper else chars[index].lower()
    return "".join(chars)


def looks_like_id(value: str) -> bool:
    return bool(_ID_PATTERN.match(value))


def make_id(prefix: str, sequence: int) -> str:
    """The 18-character ID for the `sequence`-th record with this key prefix."""
    if len(prefix) != 3:
        raise ValueError(f"key prefix must be 3 characters: {prefix!r}")
    if not 0 <= sequence < _SEQUENCES:
        raise ValueError("sequence too large for a record ID")
    high, low = divmod(sequence, _PAIR_SPAN * _PAIR_SPAN)
    middle, last = divmod(low, _PAIR_SPAN)
    head, head_code = _id_head(prefix, high)
    id15 = head + _PAIRS[middle] + _PAIRS[last]
    return id15 + head_code + _group_code(id15[10:15])


_SEQUENCES = 62**9  # the 9 sequence characters of an ID, in base 62
_PAIR_SPAN = 62 * 62
_PAIRS = [first + second for first in _BASE62 for second in _BASE62]


@lru_cache(maxsize=4096)
def _id_head(prefix: str, high: int) -> tuple[str, str]:
    """Prefix, instance and the 5 leading sequence characters (they change every 62**4 ids),
    with the checksum characters of their first 10 (the third depends on the rest)."""
    digits = []
    for _ in range(5):
        high, remainder = divmod(high, 62)
        digits.append(_BASE62[remainder])
    head = prefix + _INSTANCE + "".join(reversed(digits))
    return head, _group_code(head[0:5]) + _group_code(head[5:10])


def sequence_of(record_id: str) -> int:
    """Inverse of make_id for the 9 sequence characters."""
    number = 0
    for char in record_id[6:15]:
        number = number * 62 + _BASE62.index(char)
    return number
