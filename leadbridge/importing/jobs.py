"""An import by `leadbridge worker` processes (PostgreSQL), in chunks of rows.

    run = enqueue_import(db, clock, data, user_id=…, actor=…, filename=…, undelete=False)
    run_chunk(db, crm, clock, run.id, seq, after_change=…)    # what a worker's job runs

`enqueue_import` checks the file as an import in this process does (its columns, its size),
then keeps its rows in chunks of CHUNK with the import run and queues a job per chunk, all in
one transaction. The chunks of one import run one at a time, in file order (one procrastinate
lock per import): a later row with an email an earlier row created updates that prospect, as
in one process. Each chunk runs the import's own batch (`run._import_batch`), whose
transaction also records the chunk's report rows and marks it done: a job run again after a
crash finds its chunk done and does nothing, or finds nothing of it written and writes it.

A Salesforce or database hiccup is retried by the job queue (with backoff); when its retries
are spent, or at once for an error that retrying cannot mend, the import stops there: that
chunk's rows and every later one are reported "not written", as an import in one process
reports the rows after the batch it stopped at.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.errors import CrmError, CrmTransientError, InputError
from leadbridge.importing.csv_file import EMAIL, CsvRow, _checked, _row, _text, header
from leadbridge.importing.report import NOT_WRITTEN, ImportSummary, Stop
from leadbridge.importing.run import _emails, _import_batch, _lookup
from leadbridge.ports import Clock, CrmClient
from leadbridge.store.database import Database, is_transient
from leadbridge.store.import_chunks import Cells, Chunk, ImportChunkRepository
from leadbridge.store.import_runs import ImportRun, ImportRunRepository, _stop_words
from leadbridge.store.job_queue import IMPORT_CHUNK, QueuedJob, defer_jobs, workers_available
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.sync.config import load_config
from leadbridge.sync.intake import SKIPPED, AfterChange, IntakeOutcome, IntakeSummary

CHUNK = 1000  # rows a job (and a transaction): short jobs, cheap to retry


class _TakenError(Exception):
    """Another job wrote this chunk first: this one's transaction is undone."""


def enqueue_import(
    db: Database,
    clock: Clock,
    data: bytes,
    *,
    user_id: int | None,
    actor: str,
    filename: str,
    undelete: bool,
    chunk_size: int = CHUNK,
) -> ImportRun:
    """Record the import and its rows, and queue its chunks; InputError (nothing written)
    for a file that cannot be imported."""
    with db.session(readonly=True) as session:
        catalog = FieldCatalog.load(session)
    columns, _ = header(data, catalog)
    chunks = list(_chunks(_cells(data), chunk_size))
    with db.session() as session:
        if not workers_available(session):
            raise InputError("imports by workers need PostgreSQL", item="workers")
        runs = ImportRunRepository(session, clock)
        run = runs.add(user_id=user_id, actor=actor, filename=filename, undelete=undelete)
        ImportChunkRepository(session, clock).add(run.id, columns, chunks)
        lock = f"import:{run.id}"
        defer_jobs(
            session,
            [
                QueuedJob(IMPORT_CHUNK, {"run_id": run.id, "seq": seq}, lock=lock)
                for seq in range(len(chunks))
            ],
        )
        return runs.get(run.id)


def run_chunk(
    db: Database,
    crm: CrmClient,
    clock: Clock,
    run_id: int,
    seq: int,
    *,
    after_change: AfterChange | None = None,
    last_attempt: bool = False,
) -> dict[str, Any]:
    """Import one chunk (nothing when it is done already); raises what the job queue should
    retry, unless `last_attempt`."""
    with db.session() as session:
        chunk = ImportChunkRepository(session, clock).get(run_id, seq)
        if chunk.status != "pending":
            return {"chunk": seq, "skipped": f"already {chunk.status}"}
        ImportChunkRepository(session, clock).start(run_id)
        catalog = FieldCatalog.load(session)
        config = load_config(session)
    rows = [_row(line, chunk.columns, cells, catalog) for line, cells in chunk.rows]

    def record(session: Session, outcomes: list[IntakeOutcome]) -> None:
        results = [outcome.as_dict() for outcome in outcomes]
        if not ImportChunkRepository(session, clock).finish(run_id, seq, results):
            raise _TakenError

    summary = IntakeSummary()
    try:
        matches = _lookup(crm, config, _emails(rows), summary)
        outcomes = _import_batch(
            db, clock, config, rows, matches, chunk.undelete, after_change, record
        )
    except _TakenError:
        return {"chunk": seq, "skipped": "done by another job"}
    except Exception as error:
        if _done_meanwhile(db, clock, run_id, seq):  # another job wrote it (a duplicate)
            return {"chunk": seq, "skipped": "done by another job"}
        if _retryable(error) and not last_attempt:
            raise
        stop(db, clock, chunk, rows, error)
        return {"chunk": seq, "stopped": str(error)[:200]}
    return {"chunk": seq, "rows": len(outcomes), "crm_calls": summary.crm_calls}


def stop_chunk(db: Database, clock: Clock, run_id: int, seq: int, error: Exception) -> None:
    """Stop the import at this chunk (its job could not get a Salesforce client)."""
    with db.session(readonly=True) as session:
        chunk = ImportChunkRepository(session, clock).get(run_id, seq)
        catalog = FieldCatalog.load(session)
    if chunk.status == "pending":
        rows = [_row(line, chunk.columns, cells, catalog) for line, cells in chunk.rows]
        stop(db, clock, chunk, rows, error)


def stop(db: Database, clock: Clock, chunk: Chunk, rows: list[CsvRow], error: Exception) -> None:
    """Stop the import at this chunk: its rows and every later chunk's are not written."""
    first = rows[0].line if rows else 0
    halt = Stop.of(first, error)
    reason = f"the import stopped at line {halt.line} before writing this row: {halt.cause}"
    results: list[dict[str, Any]] = []
    for row in rows:
        status, why = (SKIPPED, row.problem) if row.problem is not None else (NOT_WRITTEN, reason)
        results.append(_outcome(row.line, row.email, status, why))
    with db.session() as session:
        repo = ImportChunkRepository(session, clock)
        for columns, later in repo.pending_rows(chunk.run_id, chunk.seq):
            at = columns.index(EMAIL)
            for line, cells in later:
                email = cells[at].strip() if at < len(cells) else ""
                results.append(_outcome(line, email or None, NOT_WRITTEN, reason))
        repo.stop(chunk.run_id, chunk.seq, results, _stop_words(halt.as_dict()))


def _outcome(line: int, email: str | None, status: str, reason: str | None) -> dict[str, Any]:
    return IntakeOutcome(f"line {line}", status, email, reason=reason, line=line).as_dict()


def _done_meanwhile(db: Database, clock: Clock, run_id: int, seq: int) -> bool:
    with db.session(readonly=True) as session:
        return ImportChunkRepository(session, clock).get(run_id, seq).status != "pending"


def _retryable(error: BaseException) -> bool:
    if isinstance(error, CrmError):
        return isinstance(error, CrmTransientError)
    return is_transient(error)


def _cells(data: bytes) -> Iterator[Cells]:
    """(line, cells) of the file's data rows, blank ones left out (as `read_csv` does)."""
    reader = csv.reader(_text(data))
    lines = _checked(reader)
    next(lines, None)
    for cells in lines:
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def _chunks(rows: Iterator[Cells], size: int) -> Iterator[list[Cells]]:
    while chunk := list(islice(rows, size)):
        yield chunk


REPORT_PAGE = 5000


def summary_of(db: Database, clock: Clock, run_id: int) -> ImportSummary:
    """The report of an import by workers, as an import in one process gives it (`stopped`
    names the first line not written and the run's error)."""
    summary = ImportSummary()
    after: int | None = None
    while True:
        with db.session(readonly=True) as session:
            runs = ImportRunRepository(session, clock)
            run = runs.get(run_id)
            page = runs.report(run_id, REPORT_PAGE, after_id=after)
        summary.outcomes.extend(
            IntakeOutcome(
                f"line {row.line}",
                row.status,
                row.email,
                prospect_id=row.prospect_id,
                crm_object=row.crm_object,
                crm_id=row.crm_id,
                reason=row.reason,
                warnings=list(row.warnings),
                line=row.line,
            )
            for row in page
        )
        if len(page) < REPORT_PAGE:
            break
        after = page[-1].id
    if run.status in ("stopped", "failed"):
        lines = [o.line for o in summary.outcomes if o.status == NOT_WRITTEN and o.line]
        cause = run.error or run.status
        summary.stopped = Stop(lines[0] if lines else 0, run.status, cause, False, False)
    return summary
