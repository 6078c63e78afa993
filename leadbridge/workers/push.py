"""Pushes by several workers at once: each claims a wave of prospects in the outbox and
pushes them, fenced by its claims.

    totals = push_claimed(db, crm, clock, wave=2000)

A claim is every unfinished push item of a prospect (`OutboxRepository.claim_prospects`), so
two workers never push the same prospect; disjoint waves go in parallel. While the job runs a
heartbeat renews its claims every `ttl / 4`; before each write to Salesforce the push engine
calls `ClaimGuard.check`, which stops the job when a claim lapsed (the worker stalled) or
another worker took one of its prospects. A worker killed mid-wave leaves its claims to lapse:
then another job claims those prospects and pushes them again, which is safe (the values sent
were recorded before sending; new leads are upserts on LeadBridge_Prospect_Id__c).
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
from dataclasses import dataclass
from datetime import timedelta

from leadbridge.ports import Clock, CrmClient
from leadbridge.store.database import Database, retry_transient
from leadbridge.store.outbox import PUSH, OutboxRepository
from leadbridge.store.sync_exclusion import pushing
from leadbridge.sync.push import PushEngine
from leadbridge.sync.runner import LeaseLostError

log = logging.getLogger("leadbridge.workers")
CLAIM_TTL = timedelta(seconds=30)
JOB_SECONDS = 300.0  # a job claims no new wave after this; the next dispatch goes on


@dataclass
class PushTotals:
    waves: int = 0
    prospects: int = 0
    pushed: int = 0
    failed: int = 0
    api_calls: int = 0
    stopped: str | None = None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class ClaimGuard:
    """The push engine's guard for one job: raises LeaseLostError when its claims are gone."""

    def __init__(self, db: Database, clock: Clock, worker: str, ttl: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.worker = worker
        self.ttl = ttl
        self.prospects: list[int] = []

    def check(self) -> None:
        with self.db.session(readonly=True) as session:
            lost = OutboxRepository(session, self.clock).claims_lost(
                PUSH, self.worker, self.prospects
            )
        if lost:
            raise LeaseLostError(
                f"push claims of {self.worker} lapsed or were taken: stopped before writing "
                "to Salesforce; what was not sent stays queued"
            )

    def renew(self) -> None:
        with self.db.session() as session:
            OutboxRepository(session, self.clock).extend_claims(self.worker, self.ttl)

    def release(self) -> None:
        with self.db.session() as session:
            OutboxRepository(session, self.clock).release_claims(self.worker)

    @contextmanager
    def renewed(self) -> Iterator[None]:
        """Renew the claims every ttl / 4 for the block; give back what is left after."""
        done = threading.Event()
        every = self.ttl.total_seconds() / 4

        def beat() -> None:
            while not done.wait(every):
                try:
                    self.renew()
                except Exception:  # a busy store: try again at the next beat
                    log.warning("renewing push claims failed; retrying", exc_info=True)

        thread = threading.Thread(target=beat, name="leadbridge-push-claims", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=every + 5)
            try:
                retry_transient(self.release, attempts=3)
            except Exception:
                log.warning("could not give back push claims: they lapse by themselves")


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def push_claimed(
    db: Database,
    crm: CrmClient,
    clock: Clock,
    *,
    wave: int,
    ttl: timedelta = CLAIM_TTL,
    seconds: float = JOB_SECONDS,
) -> PushTotals:
    """Claim and push waves of up to `wave` prospects until none is due (or `seconds`)."""
    totals = PushTotals()
    guard = ClaimGuard(db, clock, worker_name(), ttl)
    deadline = time.monotonic() + seconds
    seen: set[int] = set()  # each prospect once per job: one left queued (deferred) waits
    with guard.renewed():
        while time.monotonic() < deadline:
            with db.session() as session:
                outbox = OutboxRepository(session, clock)
                prospects, orphans = outbox.claim_prospects(PUSH, guard.worker, limit=wave, ttl=ttl)
                outbox.mark_done(orphans)
            prospects = [pid for pid in prospects if pid not in seen]
            if not prospects:
                break
            seen.update(prospects)
            guard.prospects = prospects
            engine = PushEngine(db, crm, clock, guard=guard.check)
            try:
                with pushing(db):  # never beside a pull (store/sync_exclusion.py)
                    summary = engine.run_once(prospect_ids=prospects)
            except LeaseLostError as error:
                totals.stopped = str(error)
                log.warning("%s", error)
                break
            totals.waves += 1
            totals.prospects += len(prospects)
            totals.pushed += summary.pushed
            totals.failed += summary.error_count
            totals.api_calls += summary.api_calls
            if summary.paused or summary.stopped:
                totals.stopped = "paused" if summary.paused else summary.stopped
                break
            guard.release()  # the next wave claims afresh
    return totals
