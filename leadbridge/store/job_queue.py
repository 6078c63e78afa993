"""Deferring `leadbridge worker` jobs in the caller's transaction (PostgreSQL).

A rule run or an import records its slices and their jobs in one transaction: both are
there, or neither (a crash between "recorded" and "queued" cannot leave work nobody does).
procrastinate's own `defer` uses its own connection, so the jobs go in through its SQL
function `procrastinate_defer_jobs_v1` (its stable, versioned interface, which `defer` calls
too), in the procrastinate schema of migration 0013. The task names are those registered in
leadbridge/workers/tasks.py (a test checks they match); the store does not import the
workers nor procrastinate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from leadbridge.errors import ConfigurationError

SCHEMA = "procrastinate"
NAMESPACE = "leadbridge"
BULK_QUEUE = "bulk"  # rule run slices and import chunks
RULE_SLICE = "rule_slice"
IMPORT_CHUNK = "import_chunk"

_DEFER = text(
    f"""
    SELECT {SCHEMA}.procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(job.queue, job.task, 0, job.lock, NULL, job.args, NULL)
               ::{SCHEMA}.procrastinate_job_to_defer_v1
        FROM jsonb_to_recordset(CAST(:jobs AS jsonb))
             AS job(queue text, task text, lock text, args jsonb, n int)
        ORDER BY job.n
    ))
    """
)


@dataclass(frozen=True)
class QueuedJob:
    task: str  # as registered, without the namespace
    args: dict[str, Any]
    lock: str | None = None  # jobs with one lock run one at a time, in the order deferred
    queue: str = BULK_QUEUE


def workers_available(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def defer_jobs(session: Session, jobs: Sequence[QueuedJob]) -> None:
    """Queue these jobs in the session's transaction (they run once it commits)."""
    if not jobs:
        return
    if not workers_available(session):
        raise ConfigurationError("workers need PostgreSQL (LEADBRIDGE_DATABASE_URL)")
    payload = [
        {
            "queue": job.queue,
            "task": f"{NAMESPACE}:{job.task}",
            "lock": job.lock,
            "args": job.args,
            "n": n,
        }
        for n, job in enumerate(jobs)
    ]
    # procrastinate's triggers name its tables without a schema: its schema first, for
    # this statement only (set_config(…, is_local) lasts to the end of the transaction).
    previous = session.execute(text("SELECT current_setting('search_path')")).scalar_one()
    session.execute(
        text("SELECT set_config('search_path', :path, true)"),
        {"path": f"{SCHEMA}, {previous}"},
    )
    session.execute(_DEFER, {"jobs": json.dumps(payload)})
    session.execute(text("SELECT set_config('search_path', :path, true)"), {"path": previous})
