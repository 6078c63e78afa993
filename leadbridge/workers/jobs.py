"""The jobs' bodies, as plain functions of this process's store and a Salesforce client.

Each runs in a worker thread (procrastinate runs synchronous tasks in threads) and returns a
small dict for the job's log line."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadbridge.cli import context
from leadbridge.domain.matching import CONTACT, LEAD
from leadbridge.errors import ConfigurationError, CrmLimitError
from leadbridge.ports import CrmClient
from leadbridge.store.prospect import Prospect
from leadbridge.store.sync_exclusion import pulling
from leadbridge.workers.clients import ClientPool
from leadbridge.workers.push import push_claimed

log = logging.getLogger("leadbridge.workers")
PULL_OBJECTS = (LEAD, CONTACT)
PUSH_SLOTS = 4  # push jobs at most in parallel (Salesforce allows 25 long requests at once)
MIN_WAVE = 200
# A job's largest wave. Calls per prospect are as low at 1,000 as at 2,000 (the email
# lookups pack ~1,500 emails per call, so 2,000 take two calls per object: 7 calls per
# 1,000 either way), while smaller waves share a backlog evenly between PUSH_SLOTS workers
# (20,000: five waves each rather than 3, 3, 2, 2) and let one worker's wave overlap another's
# waits on Salesforce sooner.
PUSH_WAVE = 1000
DISPATCH_CURSOR = ("Workers", "last_dispatch")

_clients = ClientPool()


def pull(object_name: str) -> dict[str, Any]:
    """Poll one object under the sync lease (skipped while another runner holds it)."""
    from leadbridge.sync.pull import PullEngine
    from leadbridge.sync.runner import LeaseHeldError

    if object_name not in PULL_OBJECTS:
        raise ValueError(f"pull: unknown object {object_name!r} (Lead or Contact)")
    if _streaming():
        return {"skipped": "the change stream brings these changes"}
    lease = context._sync_lease()
    try:
        with lease.held(wait=0), _budgeted() as crm:
            if crm is None:
                return {"skipped": "API budget reached"}
            engine = PullEngine(
                context.database(),
                crm,
                context.clock(),
                after_changes=context.rules_after_changes(),
            )
            with pulling(context.database()):  # never beside a push wave
                summary = engine.run_once([object_name])
    except LeaseHeldError as error:
        log.info("pull %s skipped: %s", object_name, error)
        return {"skipped": str(error)}
    return summary.as_dict()


def intake() -> dict[str, Any]:
    """New Salesforce records as prospects (auto-create), under the sync lease."""
    from leadbridge.sync.intake import auto_create_runner
    from leadbridge.sync.runner import LeaseHeldError

    if _streaming():
        return {"skipped": "the change stream brings new records"}
    lease = context._sync_lease()
    try:
        with lease.held(wait=0), _budgeted() as crm:
            if crm is None:
                return {"skipped": "API budget reached"}
            run = auto_create_runner(
                context.database(), crm, context.clock(), context.rules_after_changes()
            )
            with pulling(context.database()):  # never beside a push wave
                return run().as_dict()
    except LeaseHeldError as error:
        log.info("intake skipped: %s", error)
        return {"skipped": str(error)}


def push(wave: int) -> dict[str, Any]:
    """Claim and push waves of prospects until none is due."""
    with _budgeted() as crm:
        if crm is None:
            return {"skipped": "API budget reached"}
        return push_claimed(context.database(), crm, context.clock(), wave=wave).as_dict()


FORM_POSTS_SECONDS = 20.0  # one job applies posts this long at most, then the next one goes on


def form_posts() -> dict[str, Any]:
    """Apply the form posts `serve` kept (PostgreSQL), batch after batch until none is pending
    or FORM_POSTS_SECONDS have passed. Several workers may run it at once: each claims its own
    posts (SKIP LOCKED), and a post is applied once, in the transaction that marks it done."""
    import time

    from leadbridge.automation.form_posts import process_pending_submissions

    applied = failed = 0
    until = time.monotonic() + FORM_POSTS_SECONDS
    while time.monotonic() < until:
        done = process_pending_submissions(context.database(), context.clock())
        applied, failed = applied + done.applied, failed + done.failed
        if done.claimed == 0:
            break
    return {"applied": applied, "failed": failed}


def rule_slice(run_id: int, seq: int, *, last_attempt: bool) -> dict[str, Any]:
    """One slice of a rule run (automation/rule_runs.py); a slice whose retries are spent
    is marked failed, so the run ends."""
    from leadbridge.automation.rule_runs import RuleRunService

    service = RuleRunService(context.database(), context.clock())
    try:
        return service.run_slice(run_id, seq).as_dict()
    except Exception as error:
        if last_attempt:
            log.exception("rule run %d slice %d failed for good", run_id, seq)
            service.fail_slice(run_id, seq, f"{type(error).__name__}: {error}")
        raise


def import_chunk(run_id: int, seq: int, *, last_attempt: bool) -> dict[str, Any]:
    """One chunk of an import (importing/jobs.py), with a pooled Salesforce client."""
    from leadbridge.automation.engine import run_rules_for
    from leadbridge.importing.jobs import run_chunk, stop_chunk

    db, clock = context.database(), context.clock()

    def after_change(
        session: Any, prospect_ids: Any, origin: Any, /, *, fresh: Sequence[Prospect] = ()
    ) -> object:
        return run_rules_for(session, clock, prospect_ids, origin, fresh=fresh)

    try:
        with _clients.client() as crm:
            return run_chunk(
                db, crm, clock, run_id, seq, after_change=after_change, last_attempt=last_attempt
            )
    except CrmLimitError as error:  # the API budget: the job waits, then the import stops
        if not last_attempt:
            raise
        stop_chunk(db, clock, run_id, seq, error)
        return {"chunk": seq, "stopped": error.message}
    except ConfigurationError as error:  # no connector (any more): retrying cannot mend it
        stop_chunk(db, clock, run_id, seq, error)
        return {"chunk": seq, "stopped": str(error)}


def mirrors() -> dict[str, Any]:
    from leadbridge.sync.cycle import throttled_mirrors

    with _budgeted() as crm:
        if crm is None:
            return {"skipped": "API budget reached"}
        summary = throttled_mirrors(context.database(), crm, context.clock(), streamed=_streaming())
        return {"paused": summary.paused, "api_calls": summary.api_calls}


def _streaming() -> bool:
    from leadbridge.sync.stream import streaming

    return streaming(context.database(), context.clock())


def change_stream(stop: threading.Event) -> threading.Thread:
    """The change stream on a thread of this worker process: whichever worker takes its lease
    streams (the others wait for it), applying batches under the pull's advisory lock."""
    from leadbridge.sync.stream import ChangeStreamRunner

    db = context.database()
    runner = ChangeStreamRunner(
        db,
        context.clock(),
        context.new_client,
        after_changes=context.rules_after_changes(),
        stop=stop,
        turns=lambda: pulling(db),
    )
    thread = threading.Thread(target=runner.run, name="change-stream", daemon=True)
    thread.start()
    return thread


@contextmanager
def _budgeted() -> Iterator[CrmClient | None]:
    """A pooled client for the job, or None when the org's usage has reached the budget."""
    try:
        held = _clients.client()
        crm = held.__enter__()
    except CrmLimitError as error:
        log.warning("%s", error.message)
        yield None
        return
    try:
        yield crm
    except BaseException as error:
        if not held.__exit__(type(error), error, error.__traceback__):
            raise
    else:
        held.__exit__(None, None, None)


@dataclass(frozen=True)
class Due:
    """What a dispatch defers: pulls and the rest once per poll interval, pushes by backlog."""

    poll: bool
    push_jobs: int
    wave: int


def due_work(now: datetime, *, force: bool = False) -> Due | None:
    """Whether a poll is due (the connector's interval since the last dispatch), and how many
    push jobs the backlog calls for; None while no connector is set up or it is paused."""
    from leadbridge.store.connector import ConnectorRepository
    from leadbridge.store.outbox import PUSH, OutboxRepository

    with context.database().session() as session:
        repo = ConnectorRepository(session)
        config = repo.get()
        if config is None or config.paused:
            return None
        interval = timedelta(seconds=repo.settings().poll_interval_seconds)
        last = repo.cursor(*DISPATCH_CURSOR)
        if not force and last and now - datetime.fromisoformat(last) < interval:
            return Due(poll=False, push_jobs=0, wave=0)
        repo.set_cursor(*DISPATCH_CURSOR, now.isoformat(), at=now)
        backlog = OutboxRepository(session, context.clock()).count_pending(PUSH)
    jobs = min(PUSH_SLOTS, -(-backlog // MIN_WAVE)) if backlog else 0
    wave = max(MIN_WAVE, min(PUSH_WAVE, -(-backlog // max(jobs, 1))))
    return Due(poll=True, push_jobs=jobs, wave=wave)


def refresh_statistics() -> None:
    """The planner's statistics of the tables a burst changed (see store/statistics.py)."""
    from leadbridge.store.statistics import analyze_stale_tables

    analyze_stale_tables(context.database())


def wake_dispatch() -> None:
    """Make the next dispatch (within 5 seconds) run a full poll ("Sync now")."""
    from leadbridge.store.connector import ConnectorRepository

    with context.database().session() as session:
        ConnectorRepository(session).set_cursor(*DISPATCH_CURSOR, "")


def close() -> None:
    _clients.close()
