"""One runner: every path that pushes to Salesforce holds the sync lease while it runs.

    lease = SyncLease(db, clock)
    with lease.held(wait=0):          # LeaseHeldError names the holder (host, pid, since)
        cycle = sync_cycle(db, crm, clock, guard=lease.check)
        cycle.run_once()

While held, a heartbeat thread renews the lease every `ttl / 4`. Before each Salesforce write
wave the push calls `check` (fencing): a runner whose lease expired, or was taken over after
it stalled, stops before writing, and what it had not sent stays in the outbox. The lease is
released on the way out, also after an error or a stop signal.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from leadbridge.errors import LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.database import Database, StoreTransientError, retry_transient
from leadbridge.store.leases import Lease, LeaseRepository

log = logging.getLogger("leadbridge.sync")
SYNC_LEASE = "sync:salesforce"  # the one connector's sync
LEASE_TTL = timedelta(seconds=60)
WAIT_POLL_SECONDS = 1.0


class LeaseHeldError(LeadbridgeError):
    """Another runner holds the sync lease: nothing was pushed."""

    def __init__(self, lease: Lease | None) -> None:
        self.lease = lease
        super().__init__(describe_holder(lease))


class LeaseLostError(LeadbridgeError):
    """This runner no longer holds the lease (it expired or was taken over): stop writing."""


def describe_holder(lease: Lease | None) -> str:
    if lease is None:
        return "another sync holds the lease (it was just released: try again)"
    since = lease.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"another sync is running: host {lease.host}, pid {lease.pid}, since {since} "
        f"(its lease runs until {lease.expires_at.strftime('%H:%M:%S UTC')} unless renewed)"
    )


class SyncLease:
    """This process's claim on the lease `name`: acquire, heartbeat, check, release."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        name: str = SYNC_LEASE,
        ttl: timedelta = LEASE_TTL,
        heartbeat_every: float | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.name = name
        self.ttl = ttl
        self.heartbeat_every = heartbeat_every or ttl.total_seconds() / 4
        self.token = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._lost = threading.Event()

    # -- one attempt each ------------------------------------------------------------------

    def try_acquire(self) -> Lease | None:
        """Take the lease if free or expired; None when another runner holds it.

        A holder that was killed is not taken over before its lease expires, even on this
        machine: a request it had sent may still be applied by Salesforce after it died, and
        a new runner that looked too early would not see what that request created."""
        with self.db.session() as session:
            lease = LeaseRepository(session, self.clock).acquire(
                self.name, self.token, ttl=self.ttl, host=self.host, pid=self.pid
            )
        if lease is not None:
            self._lost.clear()
        return lease

    def holder(self) -> Lease | None:
        with self.db.session(readonly=True) as session:
            return LeaseRepository(session, self.clock).current(self.name)

    def heartbeat(self) -> bool:
        """Renew the lease; False (and `check` fails from then on) once it is lost. On
        SQLite it waits for the write lock up to half the lease's life: a long write by the
        holder itself must not cost it the lease."""
        wait = int(self.ttl.total_seconds() * 500)
        with self.db.session(busy_timeout_ms=wait) as session:
            return self.renew_in(session)

    def renew_in(self, session: Any) -> bool:
        """Renew the lease in `session`'s transaction (a holder writing anyway renews it with
        its own write); False, and `check` failing from then on, once it is lost."""
        kept = LeaseRepository(session, self.clock).heartbeat(self.name, self.token, ttl=self.ttl)
        if not kept:
            self._lost.set()
        return kept

    def check(self) -> None:
        """Fencing, before each write to Salesforce: raise LeaseLostError unless held."""
        if not self._lost.is_set():
            with self.db.session(readonly=True) as session:
                if LeaseRepository(session, self.clock).holds(self.name, self.token):
                    return
            self._lost.set()
        raise LeaseLostError(
            f"the sync lease {self.name} expired or was taken over: stopped before writing "
            "to Salesforce; what was not sent stays queued"
        )

    def release(self) -> None:
        with self.db.session() as session:
            LeaseRepository(session, self.clock).release(self.name, self.token)

    # -- whole runs ------------------------------------------------------------------------

    def acquire(self, *, wait: float | None = 0) -> Lease:
        """Take the lease, waiting up to `wait` seconds for it (None: as long as it takes);
        LeaseHeldError names the holder when it stays taken."""
        deadline = None if wait is None else time.monotonic() + wait
        announced = False
        while True:
            lease = retry_transient(self.try_acquire)
            if lease is not None:
                return lease
            holder = self.holder()
            if deadline is not None and time.monotonic() >= deadline:
                raise LeaseHeldError(holder)
            if not announced:
                log.info("waiting for the sync lease: %s", describe_holder(holder))
                announced = True
            pause = WAIT_POLL_SECONDS
            if deadline is not None:
                pause = max(0.0, min(pause, deadline - time.monotonic()))
            time.sleep(pause)

    @contextmanager
    def held(self, *, wait: float | None = 0) -> Iterator[Lease]:
        """Hold the lease for the block, renewed by a heartbeat thread, released after."""
        lease = self.acquire(wait=wait)
        done = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(done,), name="leadbridge-lease-heartbeat", daemon=True
        )
        beat.start()
        try:
            yield lease
        finally:
            done.set()
            beat.join(timeout=self.heartbeat_every + 5)
            try:
                retry_transient(self.release, attempts=3)
            except StoreTransientError:
                log.warning("could not release the sync lease: it expires by itself")

    def _beat(self, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_every):
            try:
                if not self.heartbeat():
                    log.error("lost the sync lease %s: the next write wave stops", self.name)
                    return
            except Exception:  # a busy store: try again at the next beat, before expiry
                log.warning("sync lease heartbeat failed; retrying", exc_info=True)
