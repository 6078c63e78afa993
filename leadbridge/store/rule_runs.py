"""Rule runs by workers: a run over every live prospect cut into keyset slices of prospect
ids, one job each (automation/rule_runs.py). A slice's cursor (`next_id`) and counts move in
the transaction of the page of prospects they cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from leadbridge.errors import NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.models import LIVE, ProspectRow
from leadbridge.store.models.jobs import RuleRunRow, RuleRunSliceRow
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_loading import load, select_prospects

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class RuleRunState:
    """A run as its slices tell it."""

    id: int
    rule_id: int | None
    started_at: datetime
    total: int
    slices: int
    slices_done: int
    slices_failed: int
    prospects: int
    matched: int
    fired: int
    failed: int
    first_failure: str | None
    error: str | None
    finished_at: datetime | None

    @property
    def status(self) -> str:
        if self.slices_done + self.slices_failed >= self.slices:
            return FAILED if self.slices_failed else DONE
        return RUNNING if self.prospects or self.slices_done else QUEUED

    def as_dict(self) -> dict[str, object]:
        return {
            "run": self.id,
            "rule_id": self.rule_id,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "total": self.total,
            "slices": self.slices,
            "slices_done": self.slices_done,
            "prospects": self.prospects,
            "matched": self.matched,
            "fired": self.fired,
            "failed": self.failed,
            "first_failure": self.first_failure,
            "error": self.error,
        }


@dataclass(frozen=True)
class Slice:
    run_id: int
    seq: int
    first_id: int
    last_id: int
    next_id: int | None
    status: str


class RuleRunRepository:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def create(self, rule_id: int | None, actor: str, slice_size: int) -> tuple[int, int]:
        """A run with its slices: the live prospects' ids now, cut in ranges of `slice_size`
        ids (so at most that many prospects each, fewer where ids were deleted; found
        without reading every prospect): (its id, how many slices)."""
        low, high = self.session.execute(
            select(func.min(ProspectRow.id), func.max(ProspectRow.id)).where(LIVE)
        ).one()
        total = int(self.session.scalar(select(func.count()).where(LIVE)) or 0)
        firsts = [] if low is None else list(range(int(low), int(high) + 1, slice_size))
        run = RuleRunRow(
            rule_id=rule_id,
            actor=actor[:255],
            started_at=self.clock.now(),
            total=total,
            slices=len(firsts),
        )
        self.session.add(run)
        self.session.flush()
        rows = [
            {
                "run_id": run.id,
                "seq": seq,
                "first_id": first,
                "last_id": min(first + slice_size - 1, int(high)),
                "status": "pending",
                "prospects": 0,
                "matched": 0,
                "fired": 0,
                "failed": 0,
            }
            for seq, first in enumerate(firsts)
        ]
        if rows:
            self.session.execute(insert(RuleRunSliceRow), rows)
        return run.id, len(rows)

    def lock_slice(self, run_id: int, seq: int) -> Slice:
        """The slice, its row locked to the end of the transaction (a job run twice at once
        waits here for the other's page, then sees its cursor)."""
        row = self.session.execute(
            select(RuleRunSliceRow)
            .where(RuleRunSliceRow.run_id == run_id, RuleRunSliceRow.seq == seq)
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NotFoundError(f"no slice {seq} of rule run {run_id}")
        return Slice(row.run_id, row.seq, row.first_id, row.last_id, row.next_id, row.status)

    def page(self, part: Slice, limit: int) -> list[Prospect]:
        """The next live prospects of the slice after its cursor, in id order."""
        after = part.first_id - 1 if part.next_id is None else part.next_id
        query = (
            select_prospects()
            .where(LIVE, ProspectRow.id > after, ProspectRow.id <= part.last_id)
            .order_by(ProspectRow.id)
            .limit(limit)
        )
        return load(self.session, query)

    def advance(
        self,
        part: Slice,
        *,
        next_id: int | None,
        prospects: int,
        matched: int,
        fired: int,
        failed: int,
        failure: str | None,
        done: bool,
    ) -> None:
        """Move the slice's cursor and add to its counts (in the page's transaction)."""
        row = RuleRunSliceRow
        values: dict[str, object] = {
            "prospects": row.prospects + prospects,
            "matched": row.matched + matched,
            "fired": row.fired + fired,
            "failed": row.failed + failed,
            "first_failure": func.coalesce(row.first_failure, failure),
        }
        if next_id is not None:
            values["next_id"] = next_id
        if done:
            values.update(status="done", done_at=self.clock.now())
        self.session.execute(
            update(row).where(row.run_id == part.run_id, row.seq == part.seq).values(values)
        )

    def fail_slice(self, run_id: int, seq: int, error: str) -> None:
        self.session.execute(
            update(RuleRunSliceRow)
            .where(
                RuleRunSliceRow.run_id == run_id,
                RuleRunSliceRow.seq == seq,
                RuleRunSliceRow.status == "pending",
            )
            .values(status="failed", error=error[:2000], done_at=self.clock.now())
        )

    def get(self, run_id: int) -> RuleRunState:
        run = self.session.get(RuleRunRow, run_id)
        if run is None:
            raise NotFoundError(f"no rule run {run_id}")
        return self._state(run)

    def recent(self, rule_id: int | None = None, limit: int = 10) -> list[RuleRunState]:
        """Newest first; only the runs of one rule with `rule_id`."""
        query = select(RuleRunRow)
        if rule_id is not None:
            query = query.where(RuleRunRow.rule_id == rule_id)
        runs = self.session.scalars(query.order_by(RuleRunRow.id.desc()).limit(limit))
        return [self._state(run) for run in runs]

    def latest_of(self, rule_id: int | None) -> RuleRunState | None:
        """The latest run of this rule (None: of all the active rules)."""
        condition = (
            RuleRunRow.rule_id.is_(None) if rule_id is None else RuleRunRow.rule_id == rule_id
        )
        run = self.session.scalars(
            select(RuleRunRow).where(condition).order_by(RuleRunRow.id.desc()).limit(1)
        ).first()
        return None if run is None else self._state(run)

    def _state(self, run: RuleRunRow) -> RuleRunState:
        s = RuleRunSliceRow
        done = func.sum(case((s.status == "done", 1), else_=0))
        bad = func.sum(case((s.status == "failed", 1), else_=0))
        totals = self.session.execute(
            select(
                done,
                bad,
                func.coalesce(func.sum(s.prospects), 0),
                func.coalesce(func.sum(s.matched), 0),
                func.coalesce(func.sum(s.fired), 0),
                func.coalesce(func.sum(s.failed), 0),
                func.min(s.first_failure),
                func.min(s.error),
                func.max(s.done_at),
            ).where(s.run_id == run.id)
        ).one()
        slices_done, slices_failed = int(totals[0] or 0), int(totals[1] or 0)
        finished = slices_done + slices_failed >= run.slices
        return RuleRunState(
            id=run.id,
            rule_id=run.rule_id,
            started_at=run.started_at,
            total=run.total,
            slices=run.slices,
            slices_done=slices_done,
            slices_failed=slices_failed,
            prospects=int(totals[2]),
            matched=int(totals[3]),
            fired=int(totals[4]),
            failed=int(totals[5]),
            first_failure=totals[6],
            error=totals[7],
            finished_at=(totals[8] or run.started_at) if finished else None,
        )
