"""The jobs as procrastinate tasks, and their schedule.

Queues: `sync` (dispatch, pull, intake, mirrors, retry_stalled), `push`, `forms` (the form
posts `serve` kept) and `bulk` (rule run slices and import chunks, queued with the run that
needs them: store/job_queue.py). Workers take them all by default; `leadbridge worker --queue
push` makes a push-only worker."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from procrastinate import Blueprint, JobContext, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Status

from leadbridge.store.job_queue import BULK_QUEUE, IMPORT_CHUNK, RULE_SLICE
from leadbridge.workers import jobs

log = logging.getLogger("leadbridge.workers")
blueprint = Blueprint()

PULL_LOCK = "sync:salesforce:pull"  # pulls and the intake, one at a time, in order
# Retried with backoff: 2, 4, 8, 16, 32 seconds (a job is idempotent; see __init__.py).
RETRY = RetryStrategy(max_attempts=5, exponential_wait=2)
TICK_SLACK = timedelta(seconds=30)


@blueprint.task(name="pull", queue="sync", lock=PULL_LOCK, retry=RETRY)
def pull(object_name: str) -> dict[str, Any]:
    return jobs.pull(object_name)


@blueprint.task(name="intake", queue="sync", lock=PULL_LOCK, retry=RETRY)
def intake() -> dict[str, Any]:
    return jobs.intake()


@blueprint.task(name="push", queue="push", retry=RETRY)
def push(wave: int) -> dict[str, Any]:
    return jobs.push(wave)


@blueprint.task(name="mirrors", queue="sync", lock="mirrors", queueing_lock="mirrors", retry=RETRY)
def mirrors() -> dict[str, Any]:
    return jobs.mirrors()


@blueprint.task(name=RULE_SLICE, queue=BULK_QUEUE, retry=RETRY, pass_context=True)
def rule_slice(context: JobContext, run_id: int, seq: int) -> dict[str, Any]:
    return jobs.rule_slice(run_id, seq, last_attempt=_last_attempt(context))


@blueprint.task(name=IMPORT_CHUNK, queue=BULK_QUEUE, retry=RETRY, pass_context=True)
def import_chunk(context: JobContext, run_id: int, seq: int) -> dict[str, Any]:
    return jobs.import_chunk(run_id, seq, last_attempt=_last_attempt(context))


def _last_attempt(context: JobContext) -> bool:
    """Whether a failure now is final (no retry follows)."""
    return context.job.attempts >= (RETRY.max_attempts or 0)


@blueprint.periodic(cron="* * * * * */5")
@blueprint.task(name="dispatch", queue="sync", queueing_lock="dispatch", pass_context=True)
async def dispatch(context: JobContext, timestamp: int) -> dict[str, Any]:
    """Every 5 seconds: once per poll interval, the pulls, intake, pushes and mirrors."""
    from leadbridge.cli.context import clock

    await asyncio.to_thread(jobs.refresh_statistics)
    due = await asyncio.to_thread(jobs.due_work, scheduled(timestamp, clock().now()))
    if due is None or not due.poll:
        return {"deferred": 0}
    app = context.app
    deferred = 0

    async def defer(name: str, lock: str, **kwargs: Any) -> None:
        nonlocal deferred
        try:
            await app.configure_task(
                f"{blueprint_namespace()}:{name}", queueing_lock=lock
            ).defer_async(**kwargs)
            deferred += 1
        except AlreadyEnqueued:
            log.debug("%s already queued", lock)

    for object_name in jobs.PULL_OBJECTS:
        await defer("pull", f"pull:{object_name}", object_name=object_name)
    await defer("intake", "intake")
    for slot in range(due.push_jobs):
        await defer("push", f"push:{slot}", wave=due.wave)
    await defer("mirrors", "mirrors")
    return {"deferred": deferred, "push_jobs": due.push_jobs, "wave": due.wave}


@blueprint.periodic(cron="* * * * * */2")
@blueprint.task(name="form_posts", queue="forms", queueing_lock="form_posts", retry=RETRY)
def form_posts(timestamp: int) -> dict[str, Any]:
    """Every 2 seconds: the form posts `serve --no-sync` kept, applied (see jobs.form_posts)."""
    return jobs.form_posts()


@blueprint.periodic(cron="* * * * * */30")
@blueprint.task(
    name="retry_stalled", queue="sync", queueing_lock="retry_stalled", pass_context=True
)
async def retry_stalled(context: JobContext, timestamp: int) -> dict[str, Any]:
    """Jobs left `doing` by a worker that stopped sending heartbeats (killed) run again."""
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs())
    closed = 0
    for job in stalled:
        log.warning("retrying job %s (%s): its worker stopped", job.id, job.task_name)
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            # The same job is queued again already (its queueing lock: a periodic or
            # dispatched twin); that one does the work, so this one is closed.
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            closed += 1
    return {"retried": len(stalled) - closed, "closed_for_a_queued_twin": closed}


def scheduled(timestamp: int, now: datetime) -> datetime:
    """The tick a dispatch was scheduled for (every 5 s exactly), not when a worker got to
    it: measured by the clock, two ticks may be 4.9 s apart (the first ran late), and a 5 s
    poll interval would then skip one and wait 10 s. The clock when the tick is far off (a
    job run long after its time, or a clock that is not the system's)."""
    tick = datetime.fromtimestamp(timestamp, UTC)
    return tick if abs(now - tick) < TICK_SLACK else now


def blueprint_namespace() -> str:
    from leadbridge.workers.app import NAMESPACE

    return NAMESPACE
