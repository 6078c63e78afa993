"""A pull never overlaps a push wave (store/sync_exclusion.py): push waves hold the lock
side by side, a pull waits for them and they wait for it. On SQLite both are no-ops."""

from __future__ import annotations

import threading
import time

from leadbridge.store import Database
from leadbridge.store.sync_exclusion import pulling, pushing


def _held_after(db: Database, enter: object, seconds: float) -> threading.Event:
    """Start a thread entering `enter(db)`; the event is set once it holds it."""
    held = threading.Event()

    def run() -> None:
        with enter(db):  # type: ignore[operator]
            held.set()
            time.sleep(seconds)

    threading.Thread(target=run, daemon=True).start()
    return held


def test_waves_share_it_and_a_pull_waits_for_them(db: Database) -> None:
    if db.backend != "postgresql":
        with pulling(db), pushing(db):  # one process: nothing to wait for
            return
    with pushing(db):
        assert _held_after(db, pushing, 0).wait(5), "a second wave waited for the first"
        pull = _held_after(db, pulling, 0)
        assert not pull.wait(0.5), "a pull ran beside a push wave"
    assert pull.wait(5), "the pull never ran after the wave"


def test_a_wave_waits_for_a_running_pull(db: Database) -> None:
    if db.backend != "postgresql":
        return
    with pulling(db):
        wave = _held_after(db, pushing, 0)
        assert not wave.wait(0.5), "a push wave ran beside a pull"
    assert wave.wait(5), "the wave never ran after the pull"
