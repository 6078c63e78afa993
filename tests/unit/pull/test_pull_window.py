"""Pull windows on Salesforce's clock: clamping, read-ahead, clock jumps, the high-water mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadbridge.domain.pull import (
    CLOCK_JUMP,
    OVERLAP,
    READ_AHEAD,
    clock_jump,
    high_water,
    pull_window,
    query_end,
)

NOW = datetime(2026, 3, 1, 12, 0, 30, 500000, tzinfo=UTC)
TEN = timedelta(minutes=10)


def test_a_cursor_in_salesforces_future_is_clamped_to_its_now_minus_the_overlap() -> None:
    written_on_our_clock = NOW + TEN  # an older leadbridge, its clock ahead of the org's
    assert pull_window(written_on_our_clock, NOW) == (NOW - OVERLAP, NOW)


def test_after_salesforces_clock_went_back_the_cursor_moves_back_as_far() -> None:
    cursor = NOW + TEN - timedelta(seconds=30)  # written 30 s before the jump, on the old clock
    start, end = pull_window(cursor, NOW, back=TEN)
    assert start == cursor - TEN - OVERLAP and end == NOW
    assert query_end(end, TEN) == NOW + TEN + READ_AHEAD  # records stamped on the old clock


def test_a_forward_jump_keeps_the_cursor() -> None:
    cursor = NOW - TEN - timedelta(seconds=30)
    assert pull_window(cursor, NOW, back=-TEN) == (cursor - OVERLAP, NOW)
    assert query_end(NOW, -TEN) == NOW + READ_AHEAD


def test_a_jump_is_a_difference_beyond_the_tolerance() -> None:
    assert clock_jump(NOW, NOW + timedelta(seconds=2)) == timedelta(0)  # the reply's own delay
    assert clock_jump(NOW, NOW - CLOCK_JUMP) == timedelta(0)
    assert clock_jump(NOW + TEN, NOW) == TEN  # the org's clock is behind the estimate
    assert clock_jump(NOW - TEN, NOW) == -TEN
    assert CLOCK_JUMP < OVERLAP  # a smaller error is covered by the overlap


def test_the_high_water_mark_is_the_newest_systemmodstamp() -> None:
    records = [
        {"Id": "1", "SystemModstamp": "2026-03-01T12:00:01.000+0000"},
        {"Id": "2", "SystemModstamp": "2026-03-01T12:00:03.250+0000"},
        {"Id": "3"},
    ]
    newest = datetime(2026, 3, 1, 12, 0, 3, 250000, tzinfo=UTC)
    assert high_water(records, None) == newest
    assert high_water(records, NOW) == NOW
    assert high_water([], None) is None
