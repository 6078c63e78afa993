"""Relative date literals resolve to UTC day ranges around a fixed today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from leadbridge.sandbox.soql.dates import is_date_keyword, keyword_range, takes_n, utc_today

TODAY = date(2024, 3, 15)  # a Friday; the week (Sunday start) is 10-16 March


@pytest.mark.parametrize(
    ("name", "n", "start", "end"),
    [
        ("TODAY", None, date(2024, 3, 15), date(2024, 3, 16)),
        ("YESTERDAY", None, date(2024, 3, 14), date(2024, 3, 15)),
        ("TOMORROW", None, date(2024, 3, 16), date(2024, 3, 17)),
        ("THIS_WEEK", None, date(2024, 3, 10), date(2024, 3, 17)),
        ("LAST_WEEK", None, date(2024, 3, 3), date(2024, 3, 10)),
        ("NEXT_WEEK", None, date(2024, 3, 17), date(2024, 3, 24)),
        ("THIS_MONTH", None, date(2024, 3, 1), date(2024, 4, 1)),
        ("LAST_MONTH", None, date(2024, 2, 1), date(2024, 3, 1)),
        ("NEXT_MONTH", None, date(2024, 4, 1), date(2024, 5, 1)),
        ("LAST_90_DAYS", None, date(2023, 12, 16), date(2024, 3, 16)),
        ("NEXT_90_DAYS", None, date(2024, 3, 16), date(2024, 6, 14)),
        ("THIS_QUARTER", None, date(2024, 1, 1), date(2024, 4, 1)),
        ("LAST_QUARTER", None, date(2023, 10, 1), date(2024, 1, 1)),
        ("NEXT_QUARTER", None, date(2024, 4, 1), date(2024, 7, 1)),
        ("THIS_YEAR", None, date(2024, 1, 1), date(2025, 1, 1)),
        ("LAST_YEAR", None, date(2023, 1, 1), date(2024, 1, 1)),
        ("NEXT_YEAR", None, date(2025, 1, 1), date(2026, 1, 1)),
        ("THIS_FISCAL_YEAR", None, date(2024, 1, 1), date(2025, 1, 1)),
        ("LAST_N_DAYS", 7, date(2024, 3, 8), date(2024, 3, 16)),
        ("NEXT_N_DAYS", 7, date(2024, 3, 16), date(2024, 3, 23)),
        ("N_DAYS_AGO", 3, date(2024, 3, 12), date(2024, 3, 13)),
        ("LAST_N_WEEKS", 2, date(2024, 2, 25), date(2024, 3, 10)),
        ("NEXT_N_WEEKS", 2, date(2024, 3, 17), date(2024, 3, 31)),
        ("LAST_N_MONTHS", 3, date(2023, 12, 1), date(2024, 3, 1)),
        ("NEXT_N_MONTHS", 2, date(2024, 4, 1), date(2024, 6, 1)),
        ("LAST_N_YEARS", 2, date(2022, 1, 1), date(2024, 1, 1)),
        ("NEXT_N_YEARS", 1, date(2025, 1, 1), date(2026, 1, 1)),
        ("N_MONTHS_AGO", 1, date(2024, 2, 1), date(2024, 3, 1)),
    ],
)
def test_keyword_ranges(name: str, n: int | None, start: date, end: date) -> None:
    assert keyword_range(name, n, TODAY) == (start, end)


def test_week_starts_on_sunday() -> None:
    sunday = date(2024, 3, 10)
    assert keyword_range("THIS_WEEK", None, sunday) == (sunday, date(2024, 3, 17))
    saturday = date(2024, 3, 16)
    assert keyword_range("THIS_WEEK", None, saturday) == (sunday, date(2024, 3, 17))


def test_month_arithmetic_crosses_years() -> None:
    assert keyword_range("NEXT_MONTH", None, date(2024, 12, 31)) == (
        date(2025, 1, 1),
        date(2025, 2, 1),
    )
    assert keyword_range("LAST_QUARTER", None, date(2024, 2, 29)) == (
        date(2023, 10, 1),
        date(2024, 1, 1),
    )


def test_keyword_names() -> None:
    assert is_date_keyword("last_n_days")
    assert takes_n("LAST_N_QUARTERS")
    assert not takes_n("TODAY")
    assert not is_date_keyword("SOMEDAY")


def test_today_is_taken_in_utc() -> None:
    late_in_new_york = datetime(2024, 3, 15, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert utc_today(late_in_new_york) == date(2024, 3, 16)
    assert utc_today(datetime(2024, 3, 15, 23, 59, tzinfo=UTC)) == date(2024, 3, 15)
    assert utc_today(datetime(2024, 3, 15, 23, 59)) == date(2024, 3, 15)
