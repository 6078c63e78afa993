"""An import by workers: its rows kept in chunks with the import run, a job per chunk
(importing/jobs.py). A chunk turns done in the transaction that writes its prospects, its
report rows and the run's progress; the run is done when its last chunk is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.import_runs import _values
from leadbridge.store.models import ImportRunRow, ImportRunRowRow
from leadbridge.store.models.jobs import ImportChunkRow

Cells = tuple[int, list[str]]  # (line, the row's cells)


@dataclass(frozen=True)
class Chunk:
    run_id: int
    seq: int
    columns: list[str]
    rows: list[Cells]
    status: str
    undelete: bool
    run_status: str


class ImportChunkRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def add(self, run_id: int, columns: Sequence[str], chunks: Sequence[Sequence[Cells]]) -> None:
        """Keep the rows of run `run_id` (queued) in these chunks."""
        rows = [
            {
                "run_id": run_id,
                "seq": seq,
                "columns": list(columns),
                "rows": [[line, list(cells)] for line, cells in chunk],
                "status": "pending",
            }
            for seq, chunk in enumerate(chunks)
        ]
        if rows:
            self.session.execute(insert(ImportChunkRow), rows)
        total = sum(len(chunk) for chunk in chunks)
        values: dict[str, Any] = {"chunks": len(rows), "total_rows": total}
        if not rows:
            values.update(status="done", finished_at=self.clock.now())
        self.session.execute(update(ImportRunRow).where(ImportRunRow.id == run_id).values(values))

    def get(self, run_id: int, seq: int, *, lock: bool = False) -> Chunk:
        """The chunk (its row locked to the end of the transaction with `lock`)."""
        query = (
            select(ImportChunkRow, ImportRunRow.undelete, ImportRunRow.status)
            .join(ImportRunRow, ImportRunRow.id == ImportChunkRow.run_id)
            .where(ImportChunkRow.run_id == run_id, ImportChunkRow.seq == seq)
        )
        found = self.session.execute(
            query.with_for_update(of=ImportChunkRow) if lock else query
        ).one_or_none()
        if found is None:
            raise NotFoundError(f"no chunk {seq} of import {run_id}")
        row, undelete, run_status = found
        rows = [(int(line), [str(cell) for cell in cells]) for line, cells in row.rows]
        return Chunk(row.run_id, row.seq, list(row.columns), rows, row.status, undelete, run_status)

    def start(self, run_id: int) -> None:
        self.session.execute(
            update(ImportRunRow)
            .where(ImportRunRow.id == run_id, ImportRunRow.status == "queued")
            .values(status="running")
        )

    def finish(self, run_id: int, seq: int, results: Sequence[dict[str, Any]]) -> bool:
        """Record the chunk's report rows and mark it done, with the run's progress; False
        (nothing written) when it is not pending any more (another job did it)."""
        if self.get(run_id, seq, lock=True).status != "pending":
            return False
        self._report(run_id, results)
        self._mark(run_id, [seq], "done")
        self._progress(run_id, results, len(results))
        return True

    def stop(self, run_id: int, seq: int, results: Sequence[dict[str, Any]], error: str) -> None:
        """The import stops at chunk `seq`: `results` (its rows and every later pending
        chunk's, as not written) go in the report, the run is stopped with `error`."""
        pending = self.session.scalars(
            select(ImportChunkRow.seq)
            .where(
                ImportChunkRow.run_id == run_id,
                ImportChunkRow.seq >= seq,
                ImportChunkRow.status == "pending",
            )
            .with_for_update()
        ).all()
        if seq not in pending:
            return
        self._report(run_id, results)
        self._mark(run_id, list(pending), "stopped")
        self._progress(run_id, results, 0)
        self.session.execute(
            update(ImportRunRow)
            .where(ImportRunRow.id == run_id)
            .values(status="stopped", error=error[:2000], finished_at=self.clock.now())
        )

    def pending_rows(self, run_id: int, after_seq: int) -> list[tuple[list[str], list[Cells]]]:
        """(columns, rows) of the chunks after `after_seq` still pending."""
        chunks = self.session.scalars(
            select(ImportChunkRow)
            .where(
                ImportChunkRow.run_id == run_id,
                ImportChunkRow.seq > after_seq,
                ImportChunkRow.status == "pending",
            )
            .order_by(ImportChunkRow.seq)
        )
        return [
            (list(c.columns), [(int(line), list(cells)) for line, cells in c.rows]) for c in chunks
        ]

    def _report(self, run_id: int, results: Sequence[dict[str, Any]]) -> None:
        if results:
            self.session.execute(insert(ImportRunRowRow), [_values(run_id, r) for r in results])

    def _mark(self, run_id: int, seqs: list[int], status: str) -> None:
        self.session.execute(
            update(ImportChunkRow)
            .where(ImportChunkRow.run_id == run_id, ImportChunkRow.seq.in_(seqs))
            .values(status=status, done_at=self.clock.now())
        )

    def _progress(self, run_id: int, results: Sequence[dict[str, Any]], done: int) -> None:
        """Add to the run's counts and rows done (its row locked: chunks of one run may end
        at once); the run is done when no chunk is pending."""
        run = self.session.execute(
            select(ImportRunRow)
            .where(ImportRunRow.id == run_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        counts = Counter(run.counts or {})
        counts.update(str(r.get("status") or "") for r in results)
        run.counts = dict(counts)
        run.rows_done = run.rows_done + done
        if run.status == "queued":
            run.status = "running"
        left = self.session.scalar(
            select(func.count()).where(
                ImportChunkRow.run_id == run_id, ImportChunkRow.status == "pending"
            )
        )
        if not left and run.status == "running":
            run.status, run.finished_at = "done", self.clock.now()
