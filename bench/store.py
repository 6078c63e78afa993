"""Store benchmarks: load 1,000,000 prospects into a fresh SQLite file, then look 10,000 of
them up by email. `make bench` prints these figures with the sandbox's."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadbridge.domain.fields import Origin
from leadbridge.store import Database, ProspectRepository, open_database

PROSPECTS = 1_000_000
LOOKUPS = 10_000
_COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell")
_CITIES = ("Paris", "Berlin", "Austin", "Osaka", "Lagos", "Lima", "Perth", "Oslo")


class _FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)


def _email(number: int) -> str:
    return f"Person.{number}@Example{number % 997}.com"


def _rows(count: int) -> Iterator[dict[str, Any]]:
    for number in range(count):
        yield {
            "email": _email(number),
            "first_name": f"First{number}",
            "last_name": f"Last{number}",
            "company": _COMPANIES[number % len(_COMPANIES)],
            "city": _CITIES[number % len(_CITIES)],
            "country": "France",
            "job_title": "Engineer",
            "score": number % 100,
        }


def _load(db: Database, count: int) -> float:
    started = time.perf_counter()
    with db.session() as session:
        ProspectRepository(session, _FixedClock()).bulk_insert(_rows(count), origin=Origin.IMPORT)
    return time.perf_counter() - started


def _lookup_ms(db: Database, count: int, sample: int, runs: int = 5) -> float:
    chooser = random.Random(1)
    timings = []
    for _ in range(runs):
        emails = [_email(chooser.randrange(count)).upper() for _ in range(sample)]
        started = time.perf_counter()
        with db.session() as session:
            found = ProspectRepository(session, _FixedClock()).by_emails(emails)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(found) == len({email.lower() for email in emails})
    return statistics.median(timings)


def store_bench(prospects: int = PROSPECTS) -> Iterator[tuple[str, float, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        try:
            seconds = _load(db, prospects)
            yield (f"store: insert {prospects:,} prospects", seconds, "s", "<= 90 s (SQLite)")
            lookups = min(LOOKUPS, prospects)
            yield (f"store: look up {lookups:,} by email", _lookup_ms(db, prospects, lookups),
                   "ms", "<= 1,000 ms")  # fmt: skip
        finally:
            db.dispose()


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else PROSPECTS
    for name, value, unit, target in store_bench(size):
        print(f"{name:40} {value:12,.1f}  {unit:10} {target}", flush=True)
