"""Syncing continuously: one sync cycle (pull, then push), then a pause, until told to stop.

`leadbridge sync run` runs it in the foreground; `leadbridge serve` and `leadbridge run` run
it on a thread beside the HTTP app (pass the server's stop Event).

The loop never dies of a failed cycle: whatever a cycle raises (a Salesforce outage, a
locked store, a bug) is logged with its traceback and the loop waits — exponentially longer
after each failure in a row, up to a cap — then goes on. A cycle skipped because another
runner holds the sync lease is no failure: the loop waits its usual interval. The interval
is read before each pause, so a new poll interval applies from the next cycle.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from leadbridge.errors import LeadbridgeError
from leadbridge.store.database import StoreTransientError
from leadbridge.sync.runner import LeaseHeldError

log = logging.getLogger("leadbridge.sync")
T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class Runnable(Protocol[T_co]):
    def run_once(self) -> T_co: ...


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait after `failures` failed cycles in a row: base·2ⁿ⁻¹, at most `cap`."""

    base: float = 5.0
    cap: float = 300.0

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(failures - 1, 32))


def sync_loop(
    run_cycle: Callable[[], T],
    stop: threading.Event,
    *,
    interval: float | Callable[[], float],
    on_cycle: Callable[[T], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
    on_skip: Callable[[LeaseHeldError], None] | None = None,
    cycles: int = 0,
    backoff: Backoff | None = None,
    wake: threading.Event | None = None,
) -> None:
    """Run `run_cycle` every `interval` seconds until `stop` is set (or `cycles` ran).
    Setting `wake` ends the pause early ("sync now").

    `interval` may be a callable, asked before each pause (the connector's poll interval as
    it is now). A paused connector makes cycles no-ops."""
    backoff = backoff or Backoff()
    failures = done = 0
    while not stop.is_set():
        try:
            summary = run_cycle()
        except LeaseHeldError as held:
            log.info("skipping this sync cycle: %s", held)
            if on_skip is not None:
                on_skip(held)
            wait = _interval(interval, backoff)
        except Exception as error:
            failures += 1
            wait = backoff.delay(failures)
            _log_failure(error, failures, wait)
            if on_error is not None:
                on_error(error)
        else:
            failures = 0
            if on_cycle is not None:
                on_cycle(summary)
            wait = _interval(interval, backoff)
        done += 1
        if cycles and done >= cycles:
            return
        _pause(stop, wake, wait)


def _pause(stop: threading.Event, wake: threading.Event | None, seconds: float) -> None:
    if wake is None:
        stop.wait(seconds)
        return
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if wake.wait(min(left, 0.25)):
            wake.clear()
            return


def _interval(interval: float | Callable[[], float], backoff: Backoff) -> float:
    if not callable(interval):
        return interval
    try:
        return interval()
    except Exception:  # the store is busy: poll again soon rather than not at all
        log.warning("could not read the poll interval", exc_info=True)
        return backoff.base


def _log_failure(error: Exception, failures: int, wait: float) -> None:
    if isinstance(error, StoreTransientError):
        log.warning("sync cycle: %s; retrying in %.0f s", error, wait)
    elif isinstance(error, LeadbridgeError):
        log.warning("sync cycle failed: %s; retrying in %.0f s", error, wait)
    else:
        log.exception(
            "sync cycle failed unexpectedly (%d in a row); retrying in %.0f s", failures, wait
        )
