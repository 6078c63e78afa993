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
