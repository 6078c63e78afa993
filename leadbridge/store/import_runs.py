"""Console imports: a row per uploaded file, updated as the import goes (`ImportRunRow`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.models import ImportRunRow

FINISHED = frozenset({"done", "stopped", "failed"})


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
            results=[],
        )
        self.session.add(row)
        self.session.flush()
        return _snapshot(row)

    def get(self, run_id: int) -> ImportRun:
        return _snapshot(self._row(run_id))

    def results(self, run_id: int) -> list[dict[str, Any]]:
        """The per-row report (as the intake gives it), in file order."""
        return list(self._row(run_id).results or [])

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
        row.status = "stopped" if stopped else "done"
        row.results = results
        row.counts = dict(report.get("counts") or {})
        row.total_rows = row.total_rows if row.total_rows is not None else len(results)
        row.rows_done = row.total_rows if not stopped else row.rows_done
        row.error = None if not stopped else _stop_words(stopped)
        row.finished_at = self.clock.now()

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
