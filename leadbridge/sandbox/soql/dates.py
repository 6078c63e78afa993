"""Relative date literals (`TODAY`, `LAST_N_DAYS:n`, `THIS_QUARTER`, ...) as UTC date ranges.

Each literal resolves to a half-open range of days `[start, end)`. Weeks start on Sunday
(Salesforce's default for the en_US locale) and fiscal periods equal calendar periods (an
org's default fiscal year). `LAST_N_DAYS:n` includes today, so it spans n + 1 days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

DateRange = tuple[date, date]

_UNITS = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
_MONTHS_PER_UNIT = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}
_SINGLE = {"TODAY": ("THIS", "DAY"), "YESTERDAY": ("LAST", "DAY"), "TOMORROW": ("NEXT", "DAY")}
_NINETY = {"LAST_90_DAYS": ("LAST_N", "DAY"), "NEXT_90_DAYS": ("NEXT_N", "DAY")}


def _names() -> tuple[frozenset[str], frozenset[str]]:
    plain = set(_SINGLE) | set(_NINETY)
    with_n: set[str] = set()
    for unit in _UNITS[1:]:
        for fiscal in ("", "FISCAL_"):
            if fiscal and unit not in {"QUARTER", "YEAR"}:
                continue
            plain.update(f"{when}_{fiscal}{unit}" for when in ("THIS", "LAST", "NEXT"))
            with_n.update(
                {f"LAST_N_{fiscal}{unit}S", f"NEXT_N_{fiscal}{unit}S", f"N_{fiscal}{unit}S_AGO"}
            )
    with_n.update({"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"})
    return frozenset(plain), frozenset(with_n)


PLAIN_KEYWORDS, N_KEYWORDS = _names()


def is_date_keyword(name: str) -> bool:
    upper = name.upper()
    return upper in PLAIN_KEYWORDS or upper in N_KEYWORDS


def takes_n(name: str) -> bool:
    return name.upper() in N_KEYWORDS


def utc_today(now: datetime) -> date:
    """Today's date in UTC (a naive `now` is taken to be UTC)."""
    if now.tzinfo is None:
        return now.date()
    return now.astimezone(UTC).date()


def keyword_range(name: str, n: int | None, today: date) -> DateRange:
    """The `[start, end)` days that the relative date literal `name[:n]` covers."""
    kind, unit = _classify(name.upper().replace("FISCAL_", ""))
    start = _period_start(today, unit)
    count = 90 if n is None else n

    def shift(steps: int) -> date:
        return _shift(start, unit, steps)

    ranges: dict[str, Callable[[], DateRange]] = {
        "THIS": lambda: (start, shift(1)),
        "LAST": lambda: (shift(-1), start),
        "NEXT": lambda: (shift(1), shift(2)),
        "LAST_N": lambda: (shift(-count), shift(1) if unit == "DAY" else start),
        "NEXT_N": lambda: (shift(1), shift(1 + count)),
        "AGO": lambda: (shift(-count), shift(1 - count)),
    }
    return ranges[kind]()


def _classify(name: str) -> tuple[str, str]:
    """(kind, unit) of a keyword without `FISCAL_`: `LAST_N_WEEKS` is ("LAST_N", "WEEK")."""
    if name in _SINGLE:
        return _SINGLE[name]
    if name in _NINETY:
        return _NINETY[name]
    if name.startswith("N_") and name.endswith("S_AGO"):
        return "AGO", name[2:-5]
    for kind in ("LAST_N", "NEXT_N"):
        if name.startswith(kind + "_"):
            return kind, name[len(kind) + 1 : -1]
    kind, _, unit = name.partition("_")
    return kind, unit


def _period_start(today: date, unit: str) -> date:
    if unit == "DAY":
        return today
    if unit == "WEEK":
        return today - timedelta(days=(today.weekday() + 1) % 7)
    months = _MONTHS_PER_UNIT[unit]
    month = (today.month - 1) // months * months + 1
    return date(today.year, month, 1)


def _shift(start: date, unit: str, steps: int) -> date:
    if unit == "DAY":
        return start + timedelta(days=steps)
    if unit == "WEEK":
        return start + timedelta(weeks=steps)
    total = start.year * 12 + start.month - 1 + steps * _MONTHS_PER_UNIT[unit]
    return date(total // 12, total % 12 + 1, 1)
