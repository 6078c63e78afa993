"""The change stream wired to the sandbox org: the pull suite's connected store, Change Data
Capture selected for Lead and Contact, and a runner on a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leadbridge.automation.engine import run_rules_for
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.salesforce.client import SalesforceClient
from leadbridge.store.change_streams import ChangeStreamRepository, StreamState
from leadbridge.sync.stream import ChangeStreamRunner, streaming
from tests.integration.pull.conftest import Puller
from tests.integration.sync.conftest import Wired, fast_client, wired  # noqa: F401

WAIT = 15.0
# The runner's clock is the real one: its lease expires in real time, like a runner's in
# production (the pull suite's movable clock only moves when a test moves it).
CLOCK = SystemClock()


class Streamer(Puller):
    """A connected org whose Lead and Contact changes are streamed by a runner thread."""

    def __init__(self, connected: Wired) -> None:
        super().__init__(connected)
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.runner: ChangeStreamRunner | None = None

    def select(self, *objects: str) -> None:
        self.w.control("PUT", "/cdc", {"entities": list(objects)})

    def start(self) -> ChangeStreamRunner:
        runner = self.runner_only()
        self.thread = threading.Thread(target=runner.run, daemon=True)
        self.thread.start()
        self.until(runner.ready.is_set, "the stream to start")
        return runner

    def stream_lock(self) -> threading.Lock:
        assert self.runner is not None
        return self.runner.lock

    def runner_only(self) -> ChangeStreamRunner:
        """A runner, not started."""

        def rules(session: Any, ids: list[int]) -> None:
            run_rules_for(session, CLOCK, ids, Origin.SALESFORCE)

        def client() -> SalesforceClient:
            with self.w.db.session(readonly=True) as session:
                from leadbridge.store.connector import ConnectorRepository

                settings = ConnectorRepository(session).settings()
            return fast_client(self.w.service.credentials(), settings)

        self.stop = threading.Event()
        self.runner = ChangeStreamRunner(
            self.w.db, CLOCK, client, after_changes=rules, stop=self.stop, retry_seconds=0.2
        )
        return self.runner

    def halt(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
            assert not self.thread.is_alive(), "the runner did not stop"

    def state(self) -> StreamState:
        with self.w.db.session(readonly=True) as session:
            return ChangeStreamRepository(session, CLOCK).get()

    def streaming(self) -> bool:
        return streaming(self.w.db, CLOCK)

    def until(self, condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; stream: {self.state()}")

    def api_calls(self) -> int:
        return int(self.w.control("GET", "/usage")["used"])


@pytest.fixture
def streamer(wired: Wired) -> Iterator[Streamer]:  # noqa: F811
    found = Streamer(wired)
    found.select("Lead", "Contact")
    found.w.service.verify()  # finds Change Data Capture on for Lead and Contact
    try:
        yield found
    finally:
        found.halt()
