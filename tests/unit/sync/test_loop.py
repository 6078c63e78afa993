"""The sync loop never dies: failures back off exponentially up to a cap, a held lease skips
a cycle at the usual interval, a success resets the backoff, settings are read each cycle."""

from __future__ import annotations

import threading

from leadbridge.errors import CrmTransientError
from leadbridge.store.database import StoreTransientError
from leadbridge.sync.loop import Backoff, sync_loop
from leadbridge.sync.runner import LeaseHeldError


class RecordingStop(threading.Event):
    """A stop Event whose waits return at once, remembering how long the loop asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        return self.is_set()


def test_backoff_doubles_and_is_capped() -> None:
    backoff = Backoff(base=5, cap=60)
    assert [backoff.delay(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff.delay(10_000) == 60


def test_any_failure_backs_off_and_the_loop_goes_on() -> None:
    outcomes: list[BaseException | str] = [
        RuntimeError("a bug in a step"),
        StoreTransientError("database is locked"),
        CrmTransientError("SERVER_UNAVAILABLE", "down"),
        "ok",
        KeyError("again"),
        "ok",
    ]
    seen: list[str] = []
    failed: list[Exception] = []

    def run_cycle() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        seen.append(outcome)
        return outcome

    stop = RecordingStop()
    sync_loop(
        run_cycle,
        stop,
        interval=30,
        on_cycle=lambda _: None,
        on_error=failed.append,
        cycles=6,
        backoff=Backoff(base=2, cap=5),
    )
    assert seen == ["ok", "ok"] and len(failed) == 4
    assert stop.waits == [2, 4, 5, 30, 2]  # capped at 5; reset by the success


def test_a_held_lease_skips_the_cycle_at_the_current_poll_interval() -> None:
    intervals = iter([10.0, 20.0])
    skipped: list[LeaseHeldError] = []

    def run_cycle() -> None:
        raise LeaseHeldError(None)

    stop = RecordingStop()
    sync_loop(run_cycle, stop, interval=lambda: next(intervals), on_skip=skipped.append, cycles=3)
    assert len(skipped) == 3 and stop.waits == [10.0, 20.0]


def test_the_loop_returns_once_stopped() -> None:
    stop = threading.Event()
    calls: list[int] = []

    def run_cycle() -> None:
        calls.append(1)
        stop.set()

    sync_loop(run_cycle, stop, interval=3600)
    assert calls == [1]
