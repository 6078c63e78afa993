"""Bulk API 2.0 ingest and query jobs: the state machine and CSV processing (no HTTP here).

Ingest: Open → (upload CSV) → UploadComplete → InProgress → JobComplete | Failed, or Aborted.
Query: UploadComplete → InProgress → JobComplete | Failed. Jobs run on a worker thread when the
server starts one, or step by step through `process_next()` (tests).

Fault injection reaches ingest jobs per row (`record_lock`: the row fails with
UNABLE_TO_LOCK_ROW, unsaved) and per finished job (`bulk_shuffle`: the result rows come back in
a random order). Rules' `path_contains` is matched against `/jobs/ingest/JOBID`.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from . import assignment, ids
from .clock import format_datetime
from .exceptions import SalesforceError, not_found
from .faults import FaultInjector
from .org import Org, SaveOptions
from .query import QueryEngine
from .soql import CompiledQuery, shape_csv_row
from .upsert_keys import duplicate_external_id, external_key, repeated_keys
from .values import from_csv

JOB_PREFIX = "750"
DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
INGEST_OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete"}
TERMINAL = {"JobComplete", "Failed", "Aborted"}
CHUNK = 200
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


def _error(code: str, message: str, status: int = 400) -> SalesforceError:
    return SalesforceError(code, message, status=status)


@dataclass
class Job:
    id: str
    kind: str  # "ingest" | "query"
    operation: str
    object: str
    created_by: str
    created: str
    version: str
    line_ending: str = "LF"
    delimiter: str = "COMMA"
    external_id_field: str | None = None
    assignment_rule_id: str | None = None
    query: str | None = None
    state: str = "Open"
    modstamp: str = ""
    data: list[str] = field(default_factory=list)
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    result_rows: list[list[str]] = field(default_factory=list)
    error_message: str | None = None
    processed: int = 0
    failed: int = 0

    def info(self) -> dict[str, Any]:
        base = "ingest" if self.kind == "ingest" else "query"
        result: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created,
            "systemModstamp": self.modstamp or self.created,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.version),
            "jobType": "V2Ingest" if self.kind == "ingest" else "V2Query",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
            "numberRecordsProcessed": self.processed,
            "retries": 0,
            "totalProcessingTime": 0,
            "apiActiveProcessingTime": 0,
            "apexProcessingTime": 0,
        }
        if self.kind == "ingest":
            result["contentUrl"] = f"services/data/v{self.version}/jobs/{base}/{self.id}/batches"
            result["numberRecordsFailed"] = self.failed
        else:
            result["query"] = self.query
        if self.external_id_field:
            result["externalIdFieldName"] = self.external_id_field
        if self.assignment_rule_id:
            result["assignmentRuleId"] = self.assignment_rule_id
        if self.error_message:
            result["errorMessage"] = self.error_message
        return result


class BulkJobs:
    def __init__(self, org: Org, queries: QueryEngine, faults: FaultInjector | None = None) -> None:
        self.org = org
        self.queries = queries
        self.faults = faults
        self._jobs: dict[str, Job] = {}
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: queue.Queue[str] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ worker

    def start_worker(self) -> None:
        self._stopping.clear()
        self._worker = threading.Thread(target=self._work, name="bulk-worker", daemon=True)
        self._worker.start()

    def stop_worker(self) -> None:
        self._stopping.set()
        self._pending.put("")
        if self._worker:
            self._worker.join(timeout=5)

    def _work(self) -> None:
        while not self._stopping.is_set():
            job_id = self._pending.get()
            if job_id:
                self._process(job_id)

    def process_next(self) -> bool:
        """Run one queued job now (tests and synchronous use). False when none is queued."""
        try:
            job_id = self._pending.get_nowait()
        except queue.Empty:
            return False
        if job_id:
            self._process(job_id)
        return True

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()

    # ------------------------------------------------------------------ common

    def _new_id(self) -> str:
        return ids.make_id(JOB_PREFIX, next(self._sequence))

    def get(self, job_id: str, kind: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.kind != kind:
            raise not_found(f"Job with id {job_id} does not exist")
        return job

    def jobs_of(self, kind: str) -> list[Job]:
        with self._lock:
            return [job for job in self._jobs.values() if job.kind == kind]

    def delete(self, job_id: str, kind: str) -> None:
        job = self.get(job_id, kind)
        if job.state not in TERMINAL | {"UploadComplete"}:
            raise _error("INVALIDJOBSTATE", f"Job {job_id} is not in a state that allows delete")
        with self._lock:
            self._jobs.pop(job_id, None)

    def _touch(self, job: Job, state: str) -> None:
        job.state = state
        job.modstamp = format_datetime(self.org.now())

    # ------------------------------------------------------------------ ingest

    def create_ingest(self, spec: dict[str, Any], actor: str, version: str) -> Job:
        operation = spec.get("operation")
        if operation not in INGEST_OPERATIONS:
            raise _error("INVALIDJOB", f"Invalid operation: {operation}")
        obj = self.org.schema.object(str(spec.get("object", "")))
        if obj is None:
            raise _error("INVALIDJOB", f"Unable to find object: {spec.get('object')}")
        delimiter = spec.get("columnDelimiter", "COMMA")
        if delimiter not in DELIMITERS:
            raise _error("INVALIDJOB", f"Invalid column delimiter: {delimiter}")
        external = spec.get("externalIdFieldName")
        if operation == "upsert":
            ext_field = obj.field(str(external or ""))
            if ext_field is None or not (ext_field.external_id or ext_field.name == "Id"):
                raise _error(
                    "INVALIDJOB", f"External ID field {external} not found or not an external ID"
                )
        if spec.get("contentType", "CSV") != "CSV":
            raise _error("INVALIDJOB", "Only contentType CSV is supported")
        rule_id = spec.get("assignmentRuleId")
        if rule_id:
            try:
                with self.org.db.lock:
                    rule_id = assignment.check_rule_id(self.org, str(rule_id))
            except SalesforceError as exc:
                raise _error("INVALIDJOB", exc.message) from None
        job = Job(
            id=self._new_id(),
            kind="ingest",
            operation=str(operation),
            object=obj.name,
            created_by=actor,
            created=format_datetime(self.org.now()),
            version=version,
            line_ending=spec.get("lineEnding", "LF"),
            delimiter=delimiter,
            external_id_field=external,
            assignment_rule_id=rule_id or None,
        )
        with self._lock:
            self._jobs[job.id] = job
        return job

    def upload(self, job_id: str, body: bytes) -> None:
        job = self.get(job_id, "ingest")
        if job.state != "Open":
            raise _error(
                "INVALIDJOBSTATE",
                f"Job {job_id} is not open for uploads (state {job.state})",
                status=409,
            )
        if len(body) > MAX_UPLOAD_BYTES:
            raise _error("INVALIDJOB", "Upload exceeds the 100 MB limit", status=413)
        try:
            job.data.append(body.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise _error("INVALIDJOB", "CSV data must be UTF-8") from None

    def change_state(self, job_id: str, kind: str, state: str) -> Job:
        job = self.get(job_id, kind)
        if state == "Aborted":
            if job.state in TERMINAL:
                raise _error("INVALIDJOBSTATE", f"Job {job_id} is already {job.state}")
            self._touch(job, "Aborted")
            return job
        if state != "UploadComplete" or kind != "ingest":
            raise _error("INVALIDJOBSTATE", f"Cannot change job state to {state}")
        if job.state != "Open":
            raise _error("INVALIDJOBSTATE", f"Job {job_id} is not Open (state {job.state})")
        self._touch(job, "UploadComplete")
        self._pending.put(job.id)
        return job

    def _process(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.state != "UploadComplete":
            return
        self._touch(job, "InProgress")
        try:
            if job.kind == "ingest":
                self._ingest(job)
                if self.faults is not None:
                    self.faults.shuffle_results(
                        _job_path(job), job.object, job.successes, job.failures, job.unprocessed
                    )
            else:
                self._run_query(job)
        except SalesforceError as exc:
            job.error_message = f"{exc.error_code} : {exc.message}"
            self._touch(job, "Failed")
            return
        if job.state == "InProgress":
            self._touch(job, "JobComplete")

    def _rows(self, job: Job) -> tuple[list[str], list[list[str]]]:
        delimiter = DELIMITERS[job.delimiter]
        header: list[str] = []
        rows: list[list[str]] = []
        for chunk in job.data:
            reader = csv.reader(io.StringIO(chunk, newline=""), delimiter=delimiter)
            chunk_header = next(reader, None)
            if chunk_header is None:
                continue
            if header and chunk_header != header:
                raise _error("InvalidBatch", "All uploads must have the same header row")
            header = chunk_header
            rows.extend(row for row in reader if row)
        if not header:
            raise _error("InvalidBatch", "The uploaded CSV data has no header row")
        return header, rows

    def _ingest(self, job: Job) -> None:
        header, rows = self._rows(job)
        job.header = header
        obj = self.org.object(job.object)
        for name in header:
            if "." not in name and obj.field(name) is None:
                raise _error("InvalidBatch", f"Field name not found : {name}")
        options = SaveOptions(
            actor_id=job.created_by,
            api_version=job.version,
            assignment_rule=job.assignment_rule_id,  # Bulk runs a rule only when named
        )
        for start in range(0, len(rows), CHUNK):
            if job.state == "Aborted":
                job.unprocessed.extend(rows[start:])
                return
            chunk = rows[start : start + CHUNK]
            repeated = self._repeated_keys(job, header, chunk)
            with self.org.db.transaction():
                for row in chunk:
                    self._ingest_row(job, header, row, options, repeated)

    def _repeated_keys(self, job: Job, header: list[str], rows: list[list[str]]) -> set[str]:
        """An upsert's external ids given more than once in these rows (saved together)."""
        if job.operation != "upsert" or not job.external_id_field:
            return set()
        name = job.external_id_field.lower()
        if name == "id" or name not in (column.lower() for column in header):
            return set()
        index = [column.lower() for column in header].index(name)
        return repeated_keys(row[index] for row in rows if len(row) == len(header))

    def _ingest_row(
        self,
        job: Job,
        header: list[str],
        row: list[str],
        options: SaveOptions,
        repeated: set[str],
    ) -> None:
        job.processed += 1
        if len(row) != len(header):
            job.failed += 1
            job.failures.append(["", "INVALID_ROW:Row has the wrong number of columns:--", *row])
            return
        raw = dict(zip(header, row, strict=True))
        try:
            locked = None
            if self.faults is not None:
                locked = self.faults.record_lock(_job_path(job), raw.get("Id"), job.object)
            if locked is not None:
                raise locked
            record_id, created = self._apply(job, raw, options, repeated)
        except SalesforceError as exc:
            job.failed += 1
            fields = ",".join(exc.fields or [])
            job.failures.append(["", f"{exc.error_code}:{exc.message}:{fields} --", *row])
            return
        job.successes.append([record_id, "true" if created else "false", *row])

    def _apply(
        self, job: Job, raw: dict[str, str], options: SaveOptions, repeated: set[str]
    ) -> tuple[str, bool]:
        obj = self.org.object(job.object)
        values: dict[str, Any] = {}
        for name, text in raw.items():
            if "." in name:
                key, value = self._relationship_value(obj.name, name, text)
                if key:
                    values[key] = value
                continue
            field_def = obj.field(name)
            assert field_def is not None
            value = from_csv(field_def, text)
            if value is not None or text == "#N/A":
                values[field_def.name] = value
        record_id = str(values.pop("Id", "") or "")
        if job.operation == "insert":
            return self.org.create(obj.name, values, options), True
        if job.operation in {"delete", "hardDelete"}:
            self.org.delete(self._require_id(record_id), options)
            return record_id, False
        if job.operation == "update":
            return self.org.update(obj.name, self._require_id(record_id), values, options), False
        assert job.external_id_field
        ext_field = obj.field(job.external_id_field)
        assert ext_field is not None
        key = record_id if ext_field.name == "Id" else str(values.pop(ext_field.name, "") or "")
        if ext_field.name != "Id" and external_key(key) in repeated:
            raise duplicate_external_id(ext_field.name, key)
        return self.org.upsert(obj.name, ext_field.name, key, values, options)

    @staticmethod
    def _require_id(record_id: str) -> str:
        if not record_id:
            raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call")
        return record_id

    def _relationship_value(
        self, object_name: str, column: str, text: str
    ) -> tuple[str | None, str | None]:
        """`Account.Ext__c` columns: find the parent by its external ID."""
        relationship, _, ext_name = column.partition(".")
        obj = self.org.object(object_name)
        reference = obj.relationship(relationship)
        if reference is None:
            raise SalesforceError("INVALID_FIELD", f"No such relationship {relationship}")
        if not text:
            return None, None
        parent = self.org.object(reference.reference_to[0])
        matches = self.org.find_by_external_id(parent, ext_name, text)
        if len(matches) != 1:
            raise SalesforceError(
                "INVALID_FIELD",
                f"Foreign key external ID: {text} not found for field {ext_name} in entity "
                f"{parent.name}",
            )
        return reference.name, matches[0]

    def results(self, job_id: str, which: str) -> str:
        """CSV of successfulResults / failedResults / unprocessedrecords."""
        job = self.get(job_id, "ingest")
        if job.state not in TERMINAL:
            raise _error("JOB_NOT_COMPLETE", "Job is not complete", status=409)
        which = which.lower()
        if which == "successfulresults":
            return _csv(["sf__Id", "sf__Created", *job.header], job.successes)
        if which == "failedresults":
            return _csv(["sf__Id", "sf__Error", *job.header], job.failures)
        header, rows = (job.header, job.unprocessed)
        if job.state == "Aborted" and not job.header and job.data:
            header, rows = self._rows(job)
        return _csv(header, rows)

    # ------------------------------------------------------------------ query

    def create_query(self, spec: dict[str, Any], actor: str, version: str) -> Job:
        operation = spec.get("operation", "query")
        if operation not in {"query", "queryAll"}:
            raise _error("INVALIDJOB", f"Invalid operation: {operation}")
        soql = str(spec.get("query") or "")
        compiled = self.queries.compile(soql, include_deleted=operation == "queryAll")
        if compiled.offset:
            raise _error("INVALIDJOB", "OFFSET is not supported in Bulk API queries")
        job = Job(
            id=self._new_id(),
            kind="query",
            operation=operation,
            object=compiled.object_name,
            created_by=actor,
            created=format_datetime(self.org.now()),
            version=version,
            line_ending=spec.get("lineEnding", "LF"),
            delimiter=spec.get("columnDelimiter", "COMMA"),
            query=soql,
            state="UploadComplete",
        )
        with self._lock:
            self._jobs[job.id] = job
        self._pending.put(job.id)
        return job

    def _run_query(self, job: Job) -> None:
        assert job.query is not None
        compiled: CompiledQuery = self.queries.compile(
            job.query, include_deleted=job.operation == "queryAll"
        )
        job.header = list(compiled.columns)
        sql, params = compiled.sql()
        with self.org.db.lock:
            rows = self.org.db.conn.execute(sql, params).fetchall()
        job.result_rows = [shape_csv_row(compiled, row) for row in rows]
        job.processed = len(job.result_rows)

    def query_results(
        self, job_id: str, locator: str | None, max_records: int | None
    ) -> tuple[str, str, int]:
        """(CSV page, next locator or 'null', number of records in the page)."""
        job = self.get(job_id, "query")
        if job.state != "JobComplete":
            raise _error("JOB_NOT_COMPLETE", "Job is not complete", status=412)
        start = _decode_locator(locator)
        size = max_records if max_records and max_records > 0 else 100_000
        page = job.result_rows[start : start + size]
        end = start + len(page)
        next_locator = _encode_locator(end) if end < len(job.result_rows) else "null"
        line_end = "\r\n" if job.line_ending == "CRLF" else "\n"
        return (
            _csv(job.header, page, DELIMITERS.get(job.delimiter, ","), line_end),
            next_locator,
            len(page),
        )


def _job_path(job: Job) -> str:
    """The path fault rules are matched against for an ingest job's rows and results."""
    return f"/jobs/ingest/{job.id}"


def _encode_locator(position: int) -> str:
    return base64.b32encode(str(position).encode()).decode().rstrip("=")


def _decode_locator(locator: str | None) -> int:
    if not locator or locator == "null":
        return 0
    try:
        padded = locator + "=" * (-len(locator) % 8)
        return int(base64.b32decode(padded).decode())
    except ValueError:
        raise _error("INVALID_LOCATOR", f"Invalid locator: {locator}") from None


def _csv(
    header: list[str], rows: list[list[str]], delimiter: str = ",", line_end: str = "\n"
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
