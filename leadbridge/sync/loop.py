"""Syncing continuously: one sync cycle (pull, then push), then a pause, until told to stop.

`leadbridge sync run` runs it in the foreground; `leadbridge serve` can run it on a thread
beside the HTTP app (pass the server's stop Event).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from leadbridge.errors import LeadbridgeError

log = logging.getLogger("leadbridge.sync")
T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class Runnable(Protocol[T_co]):
    def run_once(self) -> T_co: ...


def sync_loop(
    make_engine: Callable[[], Runnable[T]],
    stop: threading.Event,
    *,
    interval: float,
    on_cycle: Callable[[T], None] | None = None,
    on_error: Callable[[LeadbridgeError], None] | None = None,
    cycles: int = 0,
) -> None:
    """Run cycles every `interval` seconds until `stop` is set (or `cycles` ran).

    A cycle that fails (no connector yet, Salesforce unreachable at login) is reported and
    the loop goes on: the next cycle may succeed. A paused connector makes cycles no-ops.
    """
    done = 0
    while not stop.is_set():
        try:
            summary = make_engine().run_once()
        except LeadbridgeError as error:
            log.warning("sync cycle failed: %s", error)
            if on_error is not None:
                on_error(error)
        else:
            if on_cycle is not None:
                on_cycle(summary)
        done += 1
        if cycles and done >= cycles:
            return
        stop.wait(interval)
