from __future__ import annotations

from leadbridge.store.chunks import chunked


def test_chunked_keeps_order_and_sizes() -> None:
    assert [list(c) for c in chunked(range(7), 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunked([], 3)) == []
