"""The push's two safety hooks against the sandbox org: a runner that lost the sync lease
writes nothing (fencing), and a stop between waves leaves the rest queued."""

from __future__ import annotations

import threading

import pytest

from leadbridge.store import PUSH, OutboxRepository
from leadbridge.sync.runner import LeaseLostError
from tests.integration.sync.conftest import Wired


def _leads(wired: Wired) -> int:
    return int(wired.rows('SELECT count(*) AS n FROM "Lead"')[0]["n"])


def _pending(wired: Wired) -> int:
    with wired.db.session(readonly=True) as session:
        return OutboxRepository(session, wired.clock).count_pending(PUSH)


def test_a_runner_that_lost_the_lease_writes_nothing(wired: Wired) -> None:
    wired.add_many([{"email": f"fenced{n}@example.com", "last_name": "F"} for n in range(5)])

    def lost() -> None:
        raise LeaseLostError("the sync lease expired")

    with pytest.raises(LeaseLostError):
        wired.engine(guard=lost).run_once()
    assert _leads(wired) == 0 and _pending(wired) == 5
    summary = wired.engine().run_once()  # the next holder sends them, once
    assert summary.created == 5 and _leads(wired) == 5 and _pending(wired) == 0


def test_a_stop_between_waves_leaves_the_rest_queued(wired: Wired) -> None:
    wired.add_many([{"email": f"wave{n}@example.com", "last_name": "W"} for n in range(6)])
    stop = threading.Event()
    waves: list[int] = []

    def progress(done: int, total: int) -> None:
        waves.append(done)
        if done:
            stop.set()  # a SIGTERM arrives during the first wave

    summary = wired.engine(wave_size=2, progress=progress, stop=stop).run_once()
    assert summary.created == 2 and "shutting down" in (summary.stopped or "")
    assert _leads(wired) == 2 and _pending(wired) == 4
    assert wired.engine().run_once().created == 4
