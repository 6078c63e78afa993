"""The change stream's runner: subscribe, apply, keep the position; fall back to polling.

    runner = ChangeStreamRunner(db, clock, make_client, after_changes=run_rules, stop=stop)
    threading.Thread(target=runner.run).start()      # `serve`, `sync run`, `make run`

One runner per connector holds the stream (the `change_stream` lease); while it streams, the
sync cycle skips the poll of Lead and Contact and the auto-create query (`streaming`). It
streams when the connector is not paused, its `change_data_capture` setting is on and
Salesforce publishes Lead and Contact changes (a Tooling API query, as verify does). Else,
and whenever the stream fails, the mode is "polling" with the reason in plain words, and the
runner tries again later: the pull's cursors follow the stream, so polling starts where the
stream stopped.

Starting without a stored position (the first time, or after Salesforce refused one past its
72-hour retention) the runner polls the window since the pull's cursor, subscribes from the
stream's tip, then polls once more, so nothing committed between the two is missed (what both
deliver is applied twice as a no-op: the echo memory). With a stored position it resumes just
after it and polls nothing: no change is applied twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta

from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.errors import ConfigurationError, CrmError, LeadbridgeError
from leadbridge.ports import (
    REPLAY_ID_EXPIRED,
    ChangeBatch,
    ChangeStream,
    Clock,
    CrmClient,
    CrmObject,
    change_stream_of,
)
from leadbridge.store.change_streams import POLLING, STREAM, ChangeStreamRepository
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.sync.config import load_config
from leadbridge.sync.pull.apply import AfterChanges
from leadbridge.sync.pull.engine import PULL_OBJECTS, PullEngine
from leadbridge.sync.runner import LeaseHeldError, SyncLease
from leadbridge.sync.stream.apply import CATCH_UP, StreamApplier

log = logging.getLogger("leadbridge.sync.stream")

STREAM_LEASE = "change_stream"
# Short: a runner killed while streaming is taken over this soon (its heartbeat renews it).
STREAM_LEASE_TTL = timedelta(seconds=30)
BATCH_SIZE = 1000
RECHECK = timedelta(minutes=15)  # how often an org without CDC is asked again
SETTLE_SECONDS = 1.0  # a new subscription's start is registered before the second poll
# Makes a stream client: a Salesforce client of the runner's own (a client is one thread's).
StreamClient = Callable[[], CrmClient]


class ChangeStreamRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        make_client: StreamClient,
        *,
        after_changes: AfterChanges | None = None,
        stop: threading.Event | None = None,
        lock: threading.Lock | None = None,
        turns: Callable[[], AbstractContextManager[object]] | None = None,
        batch_size: int = BATCH_SIZE,
        retry_seconds: float = 5.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.make_client = make_client
        self.after_changes = after_changes
        self.stop = stop or threading.Event()
        self.lock = lock or threading.Lock()  # held while applying: never beside a cycle
        # Held too while applying, across processes (the workers' advisory lock).
        self.turns = turns or nullcontext
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds
        self.lease = SyncLease(db, clock, name=STREAM_LEASE, ttl=STREAM_LEASE_TTL)
        self.ready = threading.Event()  # set once streaming, caught up (tests, the bench)
        self.settled = threading.Event()  # set once it knows: streaming, or polling and why
        self._streamed = False  # this runner has streamed (its mode is the one recorded)
        self._checked: datetime | None = None

    def run(self) -> None:
        """Until `stop`: stream when possible, else say why and wait."""
        failures = 0
        try:
            while not self.stop.is_set():
                try:
                    streamed = self.run_once()
                    failures = 0 if streamed else failures
                except LeadbridgeError as error:
                    if self.stop.is_set():
                        break  # the stream was closed because leadbridge stops
                    failures += 1
                    self._polling(_plain(error))
                    log.warning("change stream stopped: %s", error)
                except Exception as error:
                    failures += 1
                    self._polling(f"the change stream failed unexpectedly ({error})")
                    log.exception("change stream failed unexpectedly")
                self.stop.wait(min(300.0, self.retry_seconds * 2 ** min(failures, 6)))
        finally:
            if self.ready.is_set() or self._streamed:
                self._polling("leadbridge stopped")

    def run_once(self) -> bool:
        """One subscription, until it ends (`stop`, an error); False when not streaming."""
        reason = self._cannot_stream()
        if reason:
            self._polling(reason)
            return False
        try:
            with self.lease.held(wait=0):
                self._subscription()
        except LeaseHeldError:
            self.settled.set()
            return False  # another process streams
        return True

    @contextmanager
    def _opened(self) -> Iterator[tuple[CrmClient, ChangeStream]]:
        """A Salesforce client of the runner's own and its change stream, closed after."""
        client = self.make_client()
        try:
            with self.db.session(readonly=True) as session:
                objects = load_config(session).objects
            stream = _stream_of(client, objects)
            try:
                yield client, stream
            finally:
                stream.close()
        finally:
            client.close()

    def _subscription(self) -> None:
        with self.db.session(readonly=True) as session:
            position = ChangeStreamRepository(session, self.clock).get().replay_id
        with self._opened() as (client, stream):
            done = threading.Event()
            watcher = threading.Thread(target=self._close_on_stop, args=(stream, done), daemon=True)
            watcher.start()
            try:
                self._consume(client, stream, position)
            finally:
                done.set()

    def _close_on_stop(self, stream: ChangeStream, done: threading.Event) -> None:
        """A stream waiting for Salesforce's next event ends when leadbridge stops."""
        while not done.wait(0.2):
            if self.stop.is_set():
                stream.close()
                return

    def _consume(self, client: CrmClient, stream: ChangeStream, position: bytes | None) -> None:
        applier = StreamApplier(
            self.db,
            client,
            self.clock,
            after_changes=self.after_changes,
            renew=self.lease.renew_in,
        )
        fresh = position is None
        if fresh:
            self._poll(client, PULL_OBJECTS)
        else:
            self._catch_up(client)  # an overflow's window a crash left unpolled
        batches = stream.subscribe(position, batch_size=self.batch_size)
        try:
            if fresh:
                self.stop.wait(SETTLE_SECONDS)
                self._poll(client, PULL_OBJECTS)
            self._streaming()
            self.ready.set()
            for batch in batches:
                if self.stop.is_set():
                    break
                self._apply(applier, client, batch)
        except CrmError as error:
            if error.error_code != REPLAY_ID_EXPIRED:
                raise
            with self.db.session() as session:
                ChangeStreamRepository(session, self.clock).forget_position()
            raise
        finally:
            self.ready.clear()

    def _apply(self, applier: StreamApplier, client: CrmClient, batch: ChangeBatch) -> None:
        self.lease.check()  # fencing: a runner that lost the lease stops before applying
        with self.lock, self.turns():
            if batch.events:
                if applier.apply(batch).overflows:
                    self._catch_up(client)
            elif batch.replay_id:  # a keepalive: the stream's latest position, nothing to apply
                with self.db.session() as session:
                    ChangeStreamRepository(session, self.clock).advance(batch.replay_id)

    def _catch_up(self, client: CrmClient) -> None:
        """Poll the windows overflow events left (their cursors were set back with them, in
        the transaction that applied the event)."""
        with self.db.session(readonly=True) as session:
            connector = ConnectorRepository(session)
            due = [name for name in PULL_OBJECTS if connector.cursor(name, CATCH_UP)]
        if due:
            self._poll(client, due)
            with self.db.session() as session:
                for name in due:
                    ConnectorRepository(session).clear_cursor(name, CATCH_UP)

    def _poll(self, client: CrmClient, objects: tuple[str, ...] | list[str]) -> None:
        summary = PullEngine(
            self.db, client, self.clock, after_changes=self.after_changes
        ).run_once(tuple(objects))
        if summary.stopped:
            raise CrmError("CATCH_UP_FAILED", summary.stopped)

    def _cannot_stream(self) -> str | None:
        """Why the connector cannot stream now (None: it can)."""
        with self.db.session(readonly=True) as session:
            connector = ConnectorRepository(session)
            setup = connector.get()
            settings = connector.settings()
            selected = ChangeStreamRepository(session, self.clock).get().selected
        if setup is None:
            return "no connector is set up"
        if setup.paused:
            return "the connector is paused"
        if not settings.change_data_capture:
            return "the change_data_capture setting is off"
        now = self.clock.now()
        if selected is None or (
            not {LEAD, CONTACT} <= selected
            and (self._checked is None or now - self._checked > RECHECK)
        ):
            selected = self._ask_selected()
            self._checked = now
        missing = [name for name in (LEAD, CONTACT) if name not in selected]
        if missing:
            return (
                f"Salesforce does not publish {' and '.join(missing)} changes: select them in "
                "Setup > Change Data Capture"
            )
        return None

    def _ask_selected(self) -> frozenset[str]:
        with self._opened() as (_client, stream):
            selected = frozenset(stream.selected_objects())
        with self.db.session() as session:
            ChangeStreamRepository(session, self.clock).set_selected(selected)
        return selected

    def _streaming(self) -> None:
        self._streamed = True
        self._set_mode(STREAM, "Salesforce streams Lead and Contact changes (Change Data Capture)")
        self.settled.set()

    def _polling(self, reason: str) -> None:
        self._set_mode(POLLING, reason)
        self.settled.set()

    def _set_mode(self, mode: str, reason: str) -> None:
        try:
            with self.db.session() as session:
                if ChangeStreamRepository(session, self.clock).set_mode(mode, reason):
                    log.info("changes arrive by %s: %s", mode, reason)
        except Exception:  # a busy store must not stop the runner over a status line
            log.warning("could not record the change stream's mode", exc_info=True)


def streaming(db: Database, clock: Clock) -> bool:
    """Whether a live runner streams Lead and Contact changes now (the cycle then skips their
    poll): the mode says so and the runner's lease is held, not expired."""
    with db.session(readonly=True) as session:
        state = ChangeStreamRepository(session, clock).get()
    if not state.streaming:
        return False
    holder = SyncLease(db, clock, name=STREAM_LEASE).holder()
    return holder is not None and not holder.expired(clock.now())


def _stream_of(client: CrmClient, objects: Mapping[str, CrmObject]) -> ChangeStream:
    stream = change_stream_of(client, objects)
    if stream is None:
        raise ConfigurationError("this Salesforce client has no change stream")
    return stream


def _plain(error: LeadbridgeError) -> str:
    if isinstance(error, CrmError):
        if error.error_code == REPLAY_ID_EXPIRED:
            return (
                "Salesforce no longer holds the stream's position (over 72 hours old): "
                "catching up by polling"
            )
        if error.error_code == "CATCH_UP_FAILED":
            return f"the catch-up poll failed: {error.message}"
        return f"the change stream is down ({error.error_code}: {error.message})"
    return f"the change stream is down ({error})"


__all__ = ["ChangeStreamRunner", "streaming"]
