"""The store queues slice and chunk jobs by name, in SQL (store/job_queue.py), without
importing the workers: those names are the tasks the workers register, on the queue and
with the retries the workers give them."""

from __future__ import annotations

from leadbridge.store import job_queue
from leadbridge.workers.app import NAMESPACE, build_app


def test_the_jobs_the_store_queues_are_registered_tasks() -> None:
    app = build_app("postgresql+psycopg://nobody@127.0.0.1:1/none")  # not connected
    assert job_queue.NAMESPACE == NAMESPACE
    for name in (job_queue.RULE_SLICE, job_queue.IMPORT_CHUNK):
        task = app.tasks[f"{NAMESPACE}:{name}"]
        assert task.queue == job_queue.BULK_QUEUE
        assert task.retry_strategy is not None and task.retry_strategy.max_attempts == 5


def test_a_dispatch_counts_from_its_tick_not_from_when_it_ran() -> None:
    from datetime import UTC, datetime, timedelta

    from leadbridge.workers.tasks import scheduled

    tick = datetime(2026, 12, 3, 10, 0, 5, tzinfo=UTC)
    late = tick + timedelta(seconds=0.4)  # the previous tick ran 0.1 s late, this one 0.4 s
    assert scheduled(int(tick.timestamp()), late) == tick  # 5 s after the last: due
    long_after = tick + timedelta(minutes=5)  # a job run long after its time: the clock
    assert scheduled(int(tick.timestamp()), long_after) == long_after
