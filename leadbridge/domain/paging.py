"""Page sizes: how many rows one listing may ask for."""

from __future__ import annotations

from leadbridge.errors import InputError

MAX_PAGE = 10_000


def check_page_size(size: int, *, item: str = "limit") -> int:
    """`size`, or InputError naming `item` when it is outside 1…MAX_PAGE."""
    if not 1 <= size <= MAX_PAGE:
        raise InputError(f"must be between 1 and {MAX_PAGE}", item=item)
    return size
