"""Bulk API 2.0 ingest jobs (insert, update, upsert) with per-record results in request order.

The job is driven step by step (create, upload, close, poll, read results) through
simple-salesforce's bulk2 job client, each step its own retried call. Retrying a whole
`bulk2.<Type>.insert()` after a transient failure could submit the records twice; retrying
one step cannot.

Result CSVs are not in upload order (Salesforce guarantees none), so a result row is never
matched by its position. Each row repeats the uploaded columns: a row is matched back to its
record by those values (records with identical values are interchangeable, and take the
results in turn); a row whose echo differs from what was sent (a value Salesforce rewrote) is
matched by the job's key column instead: `Id` for an update, the external id for an upsert,
`Email` for an insert, when that value names exactly one record still waiting.
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
    key: str | None = None,
) -> dict[int, SaveResult]:
    """Result rows matched back to request positions by their echoed column values, then
    (rows whose echo matches no record) by the `key` column (default: the operation's)."""
    waiting: dict[tuple[str, ...], deque[int]] = defaultdict(deque)
    for index, values in zip(job.indexes, job.rows, strict=True):
        waiting[values].append(index)
    results: dict[int, SaveResult] = {}
    unmatched: list[tuple[Mapping[str, str], SaveResult]] = []

    def claim(row: Mapping[str, str], result: SaveResult) -> None:
        values = tuple(row.get(name) or "" for name in job.header)
        queue = waiting.get(values)
        if queue:
            results[queue.popleft()] = result
        else:
            unmatched.append((row, result))

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
    column = key or _KEY_COLUMNS.get(operation)
    if unmatched and column in job.header:
        _claim_by_key(job, waiting, job.header.index(column), unmatched, results)
    return results


_KEY_COLUMNS: dict[str, str] = {"update": "Id", "insert": "Email"}


def _claim_by_key(
    job: JobData,
    waiting: Mapping[tuple[str, ...], deque[int]],
    position: int,
    unmatched: Sequence[tuple[Mapping[str, str], SaveResult]],
    results: dict[int, SaveResult],
) -> None:
    """Rows whose echo matched no record: by the key column's value (trimmed, compared
    case-insensitively), when it names exactly one record still waiting."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for values, queue in waiting.items():
        for index in queue:
            by_key[values[position].strip().lower()].append(index)
    name = job.header[position]
    for row, result in unmatched:
        value = (row.get(name) or "").strip().lower()
        candidates = [i for i in by_key.get(value, []) if i not in results]
        if value and len(candidates) == 1:
            results[candidates[0]] = result


def _rows(text: str) -> list[dict[str, str]]:
    if not text.strip():
        return []
    return list(csv.DictReader(io.StringIO(text)))


@dataclass(frozen=True)
class BulkOutcome:
    results: list[SaveResult]  # one per record, in request order
    reported: frozenset[int]  # positions a result row of the job was matched to


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
        """One result per record, in request order."""
        return self.run_reporting(
            object_name, operation, records, external_id_field=external_id_field
        ).results

    def run_reporting(
        self,
        object_name: str,
        operation: Operation,
        records: Sequence[Mapping[str, Any]],
        *,
        external_id_field: str | None = None,
    ) -> BulkOutcome:
        """`run`, also saying which records the job reported on row by row (the others carry
        a job-level error: their outcome may be unknown)."""
        results: dict[int, SaveResult] = {}
        reported: set[int] = set()
        for job in plan_jobs(records):
            rows, job_results = self._job(object_name, operation, job, external_id_field)
            results.update(job_results)
            reported.update(rows)
        missing = make_error("BULK_RESULT_MISSING", "the bulk job reported nothing for this record")
        return BulkOutcome(
            [
                results.get(index, SaveResult(id=None, success=False, errors=(missing,)))
                for index in range(len(records))
            ],
            frozenset(reported),
        )

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
    ) -> tuple[set[int], dict[int, SaveResult]]:
        """(positions matched to a result row, every position's result)."""

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
            return set(), failed(error)
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
            return set(), failed(error)
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
                return set(), failed(error)
            return set(), outcome
        matched = match_results(
            job,
            *texts,
            operation=operation,
            key=external_id_field if operation == "upsert" else None,
        )
        outcome.update(matched)
        return set(matched), outcome

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
