"""Salesforce's field bitmaps (changedFields, nulledFields, diffFields in the event header).

Element 0 is `0x…`: bit i set for the i-th top-level field of the event's Avro record (the
ChangeEventHeader is field 0). A compound field (Name, an address) also gets an element
`<index>-0x…` whose bits are over the nested record's fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def hex_bits(indexes: Iterable[int]) -> str:
    """`0x…` with an even number of upper-case hex digits."""
    value = 0
    for index in indexes:
        value |= 1 << index
    digits = format(value, "X")
    if len(digits) % 2:
        digits = "0" + digits
    return "0x" + digits


def encode(top: Iterable[int], nested: Mapping[int, Iterable[int]]) -> list[str]:
    """The bitmap list for these top-level indexes and nested (parent index → indexes)."""
    indexes = set(top) | set(nested)
    if not indexes:
        return []
    elements = [hex_bits(indexes)]
    for parent in sorted(nested):
        elements.append(f"{parent}-{hex_bits(nested[parent])}")
    return elements


def decode(bitmap: list[str]) -> tuple[set[int], dict[int, set[int]]]:
    """The inverse of `encode` (tests and docs use it)."""
    top: set[int] = set()
    nested: dict[int, set[int]] = {}
    for element in bitmap:
        parent, _, digits = element.rpartition("-")
        value = int(digits, 16)
        bits = {index for index in range(value.bit_length()) if value >> index & 1}
        if parent:
            nested[int(parent)] = bits
        else:
            top = bits
    return top, nested
