"""Bulk API 2.0 ingest jobs (insert, update, upsert) with per-record results in request order.

The job is driven step by step (create, upload, close, poll, read results) through
simple-salesforce's bulk2 job client, each step its own retried call. Retrying a whole
`bulk2.<Type>.insert()` after a transient failure could submit the records twice; retrying
one step cannot.

Result CSVs are not in upload order. Each result row repeats the uploaded columns, so a row is
matched back to its record by those values (records with identical values are
interchangeable, and take the results in turn).
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from simple_salesforce.api import Salesforce

from leadbridge.errors import CrmError
from leadbridge.ports import SaveResult

from .connection import Connection
from .errors import from_bulk_result, make_error
from .records import json_value

Operation = Literal["insert", "update", "upsert"]

MAX_JOB_BYTES = 90 * 1024 * 1024  # Bulk 2.0 takes 100 MB per upload; keep a margin
NULL = "#N/A"  # Bulk API's way of setting a field to null
_TERMINAL = {"JobComplete", "Failed", "Aborted"}


def csv_cell(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return str(json_value(value))
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


@dataclass
class JobData:
    header: list[str]
    indexes: list[int] = field(default_factory=list)  # positions in the caller's list
    rows: list[tuple[str, ...]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    size: int = 0

    def csv(self) -> str:
        return _line(self.header) + "".join(self.lines)


def plan_jobs(
    records: Sequence[Mapping[str, Any]], *, max_bytes: int = MAX_JOB_BYTES
) -> list[JobData]:
    """The CSV of each job: one header (every field any record has), rows split by size."""
    header: list[str] = []
    for record in records:
        header.extend(key for key in record if key != "attributes" and key not in header)
    jobs: list[JobData] = []
    current = JobData(header)
    header_size = len(_line(header).encode())
    for index, record in enumerate(records):
        row = tuple(csv_cell(record[name]) if name in record else "" for name in header)
        line = _line(row)
        size = len(line.encode())
        if current.rows and header_size + current.size + size > max_bytes:
            jobs.append(current)
            current = JobData(header)
        current.indexes.append(index)
        current.rows.append(row)
        current.lines.append(line)
        current.size += size
    if current.rows:
        jobs.append(current)
    return jobs


def match_results(
    job: JobData,
    successful: str,
    failed: str,
    unprocessed: str,
    *,
    operation: Operation,
) -> dict[int, SaveResult]:
    """Result rows matched back to request positions by their echoed column values."""
    waiting: dict[tuple[str, ...], deque[int]] = defaultdict(deque)
    for index, values in zip(job.indexes, job.rows, strict=True):
        waiting[values].append(index)
    results: dict[int, SaveResult] = {}

    def claim(row: Mapping[str, str], result: SaveResult) -> None:
        key = tuple(row.get(name) or "" for name in job.header)
        queue = waiting.get(key)
        if queue:
            results[queue.popleft()] = result

    for row in _rows(successful):
        created = (row.get("sf__Created") or "").lower() == "true"
        record_id = row.get("sf__Id") or None
        claim(row, SaveResult(id=record_id, success=True, created=created or operation == "insert"))
    for row in _rows(failed):
        error = from_bulk_result(row.get("sf__Error") or "UNKNOWN_ERROR:no error given --")
        claim(row, SaveResult(id=row.get("sf__Id") or None, success=False, errors=(error,)))
    for row in _rows(unprocessed):
        error = make_error("BULK_UNPROCESSED", "the job ended before this record was processed")
        claim(row, SaveResult(id=None, success=False, errors=(error,)))
    return results


def _rows(text: str) -> list[dict[str, str]]:
    if not text.strip():
        return []
    return list(csv.DictReader(io.StringIO(text)))


class BulkIngest:
    """Runs ingest jobs over a Connection; `sleep` and `poll` pace the status polling."""

    def __init__(
        self,
        connection: Connection,
        *,
        sleep: Callable[[float], None] = time.sleep,
        poll: float = 0.05,
        max_poll: float = 2.0,
        timeout: float = 3600.0,
    ) -> None:
        self.connection = connection
        self.sleep = sleep
        self.poll = poll
        self.max_poll = max_poll
        self.timeout = timeout

    def run(
        self,
        object_name: str,
        operation: Operation,
        records: Sequence[Mapping[str, Any]],
        *,
        external_id_field: str | None = None,
    ) -> list[SaveResult]:
        results: dict[int, SaveResult] = {}
        for job in plan_jobs(records):
            results.update(self._job(object_name, operation, job, external_id_field))
        missing = make_error("BULK_RESULT_MISSING", "the bulk job reported nothing for this record")
        return [
            results.get(index, SaveResult(id=None, success=False, errors=(missing,)))
            for index in range(len(records))
        ]

    def _step(
        self, object_name: str, step: Callable[[Any], Any], *, replayable: bool = True
    ) -> Any:
        def run(sf: Salesforce) -> Any:
            return step(getattr(sf.bulk2, object_name)._client)  # the job-level client

        return self.connection.call("bulk", run, replayable=replayable)

    def _job(
        self,
        object_name: str,
        operation: Operation,
        job: JobData,
        external_id_field: str | None,
    ) -> dict[int, SaveResult]:
        def failed(error: CrmError) -> dict[int, SaveResult]:
            return {
                index: SaveResult(id=None, success=False, errors=(error,)) for index in job.indexes
            }

        try:
            info = self._step(
                object_name,
                lambda jobs: jobs.create_job(operation, external_id_field=external_id_field),
            )
        except CrmError as error:
            return failed(error)
        job_id = str(info["id"])
        try:
            # A second upload to an open job adds the rows again; a second close fails.
            self._step(
                object_name,
                lambda jobs: jobs.upload_job_data(job_id, job.csv()),
                replayable=operation != "insert",
            )
            self._step(object_name, lambda jobs: jobs.close_job(job_id), replayable=False)
            info = self._wait(object_name, job_id)
        except CrmError as error:
            self._abort(object_name, job_id)
            return failed(error)
        outcome = failed(
            make_error(
                "BULK_JOB_FAILED",
                str(info.get("errorMessage") or f"the bulk job ended {info.get('state')}"),
                redact=self.connection.redact,
            )
        )
        try:
            texts = [
                self._results(object_name, job_id, kind)
                for kind in ("successfulResults", "failedResults", "unprocessedRecords")
            ]
        except CrmError as error:
            if info.get("state") == "JobComplete":
                return failed(error)
            return outcome
        outcome.update(match_results(job, *texts, operation=operation))
        return outcome

    def _results(self, object_name: str, job_id: str, kind: str) -> str:
        return str(self._step(object_name, lambda jobs: jobs.get_ingest_results(job_id, kind)))

    def _wait(self, object_name: str, job_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        delay = self.poll
        while True:
            self.sleep(delay)
            info: dict[str, Any] = self._step(object_name, lambda jobs: jobs.get_job(job_id, False))
            if info.get("state") in _TERMINAL:
                return info
            if time.monotonic() > deadline:
                raise make_error(
                    "BULK_TIMEOUT",
                    f"bulk job {job_id} was still {info.get('state')} after {self.timeout:g}s",
                )
            delay = min(delay * 2, self.max_poll)

    def _abort(self, object_name: str, job_id: str) -> None:
        with contextlib.suppress(CrmError):  # best effort: the job may be closed or gone
            self._step(object_name, lambda jobs: jobs.abort_job(job_id, False))
