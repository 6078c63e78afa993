"""Console imports: a row per uploaded file, updated as the import goes (`ImportRunRow`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.models import ImportRunRow, ImportRunRowRow

FINISHED = frozenset({"done", "stopped", "failed", "interrupted"})
UNFINISHED = ("queued", "running")
INTERRUPTED = (
    "The server stopped during this import; upload the file again: rows already imported "
    "are recognised."
)
WRITTEN = frozenset({"created", "updated", "linked", "restored", "unchanged"})
REPORT_CHUNK = 5000


@dataclass(frozen=True)
class ReportRow:
    id: int
    line: int | None
    email: str | None
    status: str
    reason: str | None
    prospect_id: int | None
    crm_object: str | None
    crm_id: str | None
    warnings: tuple[str, ...]


def _report_row(row: ImportRunRowRow) -> ReportRow:
    return ReportRow(
        row.id,
        row.line,
        row.email,
        row.status,
        row.reason,
        row.prospect_id,
        row.crm_object,
        row.crm_id,
        tuple(str(warning) for warning in row.warnings or []),
    )


def _text(value: Any, length: int | None = None) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if length is None else text[:length]


def _values(run_id: int, result: dict[str, Any]) -> dict[str, Any]:
    """A report row from one intake outcome (its `as_dict`)."""
    status = str(result.get("status") or "")
    line, prospect_id = result.get("line"), result.get("prospect_id")
    return {
        "run_id": run_id,
        "line": line if isinstance(line, int) else None,
        "email": _text(result.get("email")),
        "status": status[:40],
        "attention": status not in WRITTEN,
        "reason": _text(result.get("reason")),
        "prospect_id": prospect_id if isinstance(prospect_id, int) else None,
        "crm_object": _text(result.get("crm_object"), 40),
        "crm_id": _text(result.get("crm_id"), 18),
        "warnings": [str(warning) for warning in result.get("warnings") or []],
    }


@dataclass(frozen=True)
class ImportRun:
    id: int
    user_id: int | None
    actor: str
    filename: str
    undelete: bool
    status: str
    started_at: datetime
    finished_at: datetime | None
    total_rows: int | None
    rows_done: int
    counts: dict[str, int]
    error: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int | None:
        if not self.total_rows:
            return None
        return min(100, round(100 * self.rows_done / self.total_rows))


def _snapshot(row: ImportRunRow) -> ImportRun:
    return ImportRun(
        row.id,
        row.user_id,
        row.actor,
        row.filename,
        row.undelete,
        row.status,
        row.started_at,
        row.finished_at,
        row.total_rows,
        row.rows_done,
        dict(row.counts or {}),
        row.error,
    )


class ImportRunRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def add(self, *, user_id: int | None, actor: str, filename: str, undelete: bool) -> ImportRun:
        row = ImportRunRow(
            user_id=user_id,
            actor=actor,
            filename=filename,
            undelete=undelete,
            status="queued",
            started_at=self.clock.now(),
            rows_done=0,
            counts={},
        )
        self.session.add(row)
        self.session.flush()
        return _snapshot(row)

    def get(self, run_id: int) -> ImportRun:
        return _snapshot(self._row(run_id))

    def report(
        self, run_id: int, limit: int, *, after_id: int | None = None, attention: bool = False
    ) -> list[ReportRow]:
        """A page of the run's report in file order (only rows not written with
        `attention`); page with `after_id`, the last row's id."""
        query = select(ImportRunRowRow).where(ImportRunRowRow.run_id == run_id)
        if attention:
            query = query.where(ImportRunRowRow.attention.is_(True))
        if after_id is not None:
            query = query.where(ImportRunRowRow.id > after_id)
        rows = self.session.scalars(query.order_by(ImportRunRowRow.id).limit(limit))
        return [_report_row(row) for row in rows]

    def recent(self, limit: int, *, before_id: int | None = None) -> list[ImportRun]:
        """Newest first; page with `before_id`."""
        query = select(ImportRunRow)
        if before_id is not None:
            query = query.where(ImportRunRow.id < before_id)
        rows = self.session.scalars(query.order_by(ImportRunRow.id.desc()).limit(limit))
        return [_snapshot(row) for row in rows]

    def progress(self, run_id: int, done: int, total: int | None) -> None:
        self.session.execute(
            update(ImportRunRow)
            .where(ImportRunRow.id == run_id)
            .values(status="running", rows_done=done, total_rows=total)
        )

    def finish(self, run_id: int, report: dict[str, Any]) -> None:
        """Store the intake's report; "stopped" when it did not get to the end."""
        row = self._row(run_id)
        results = list(report.get("results") or [])
        stopped = report.get("stopped")
        for chunk in range(0, len(results), REPORT_CHUNK):
            values = [_values(run_id, r) for r in results[chunk : chunk + REPORT_CHUNK]]
            self.session.execute(insert(ImportRunRowRow), values)
        row.status = "stopped" if stopped else "done"
        row.counts = dict(report.get("counts") or {})
        row.total_rows = row.total_rows if row.total_rows is not None else len(results)
        row.rows_done = row.total_rows if not stopped else row.rows_done
        row.error = None if not stopped else _stop_words(stopped)
        row.finished_at = self.clock.now()

    def interrupt_unfinished(self) -> int:
        """Mark every run still queued or running as interrupted; how many there were.

        Imports run inside the server's process, so when it starts, no run can still be
        going: one left unfinished was cut short by a restart (or a crash) and would
        otherwise say "running" for ever. Imports by workers (in chunks) are not the
        server's: their jobs go on, whatever happens to it."""
        result = self.session.execute(
            update(ImportRunRow)
            .where(ImportRunRow.status.in_(UNFINISHED), ImportRunRow.chunks.is_(None))
            .values(status="interrupted", error=INTERRUPTED, finished_at=self.clock.now())
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def fail(self, run_id: int, error: str) -> None:
        row = self._row(run_id)
        row.status, row.error, row.finished_at = "failed", error[:2000], self.clock.now()

    def _row(self, run_id: int) -> ImportRunRow:
        row = self.session.get(ImportRunRow, run_id)
        if row is None:
            raise NotFoundError(f"no import with id {run_id}")
        return row


def _stop_words(stopped: dict[str, Any]) -> str:
    again = " Upload the same file again later to finish it." if stopped.get("retryable") else ""
    return f"Stopped at line {stopped.get('line')}: {stopped.get('cause')}.{again}"
