"""Rule runs by `leadbridge worker` processes (PostgreSQL): "Run now" and `rules run
--workers` record the run, cut the live prospects into keyset slices (ranges of SLICE ids)
and queue a job per slice, all in one transaction; any number of workers then take them.

    started = RuleRunService(db, clock).start("EMEA hot", actor="ann@example.com")
    RuleRunService(db, clock).run_slice(run_id, seq)      # what a worker's job runs
    RuleRunService(db, clock).show(run_id)                # queued, running, done; counts

A slice goes page by page (PAGE prospects a transaction); each page's transaction fires the
rules (claiming them in rule_matches, as every run does) and moves the slice's cursor past
the page. A job killed mid-slice is run again and starts after the last committed page: a
prospect is acted on once per run, even by a rule that repeats at once (repeat after 0 days).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.automation.engine import RuleEngine, RulesReport, compile_rules
from leadbridge.automation.rules import find_rule
from leadbridge.errors import ConflictError, InputError
from leadbridge.ports import Clock
from leadbridge.store.automation import AutomationRuleRepository
from leadbridge.store.database import Database
from leadbridge.store.job_queue import RULE_SLICE, QueuedJob, defer_jobs, workers_available
from leadbridge.store.models.jobs import RuleRunRow
from leadbridge.store.prospect import Prospect
from leadbridge.store.rule_runs import QUEUED, RUNNING, RuleRunRepository, RuleRunState, Slice

SLICE = 5000  # prospects a job
PAGE = 500  # prospects a transaction


@dataclass
class SliceResult:
    pages: int = 0
    prospects: int = 0
    fired: int = 0
    broken: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {"pages": self.pages, "prospects": self.prospects, "fired": self.fired}


class RuleRunService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def start(self, key: str | None, *, actor: str, slice_size: int = SLICE) -> dict[str, Any]:
        """Queue a run of one active rule (or all of them) over every live prospect;
        ConflictError while the last one of that rule is not finished."""
        with self.db.session() as session:
            if not workers_available(session):
                raise InputError("runs by workers need PostgreSQL", item="workers")
            rule_id = None if key is None else self._active(session, key)
            rules = AutomationRuleRepository(session, self.clock)
            if rule_id is None and not rules.list(active_only=True):
                raise InputError("no active rule to run", item="rule")
            runs = RuleRunRepository(session, self.clock)
            going = runs.latest_of(rule_id)
            if going is not None and going.status in (QUEUED, RUNNING):
                raise ConflictError(
                    f"rule run {going.id} of this rule is {going.status} already "
                    f"({going.prospects:,} of {going.total:,} prospects so far)"
                )
            run_id, slices = runs.create(rule_id, actor, slice_size)
            jobs = [QueuedJob(RULE_SLICE, {"run_id": run_id, "seq": s}) for s in range(slices)]
            defer_jobs(session, jobs)
            return runs.get(run_id).as_dict()

    def show(self, run_id: int) -> RuleRunState:
        with self.db.session(readonly=True) as session:
            return RuleRunRepository(session, self.clock).get(run_id)

    def latest(self, rule_id: int) -> RuleRunState | None:
        with self.db.session(readonly=True) as session:
            found = RuleRunRepository(session, self.clock).recent(rule_id, limit=1)
        return found[0] if found else None

    def recent(self, limit: int = 10) -> list[RuleRunState]:
        with self.db.session(readonly=True) as session:
            return RuleRunRepository(session, self.clock).recent(None, limit)

    def run_slice(self, run_id: int, seq: int, *, page_size: int = PAGE) -> SliceResult:
        """Go through the slice from its cursor to its end, a page a transaction."""
        result = SliceResult()
        while self._page(run_id, seq, page_size, result):
            pass
        return result

    def fail_slice(self, run_id: int, seq: int, error: str) -> None:
        """The slice's job gave up (its retries spent): the run ends with it failed."""
        with self.db.session() as session:
            RuleRunRepository(session, self.clock).fail_slice(run_id, seq, error)

    def _page(self, run_id: int, seq: int, page_size: int, result: SliceResult) -> bool:
        """One page in one transaction; whether there is more."""
        with self.db.session() as session:
            runs = RuleRunRepository(session, self.clock)
            part = runs.lock_slice(run_id, seq)
            if part.status != "pending":
                return False
            page = runs.page(part, page_size)
            report = self._apply(session, run_id, page, result) if page else RulesReport()
            more = len(page) == page_size
            runs.advance(
                part,
                next_id=page[-1].id if page else None,
                prospects=report.prospects,
                matched=report.matched,
                fired=report.fired,
                failed=report.failed,
                failure=report.failures[0] if report.failures else None,
                done=not more,
            )
        result.pages += 1
        result.prospects += report.prospects
        result.fired += report.fired
        return more

    def _apply(
        self, session: Session, run_id: int, page: list[Prospect], result: SliceResult
    ) -> RulesReport:
        run = session.get(RuleRunRow, run_id)
        rule_id = None if run is None else run.rule_id
        active = AutomationRuleRepository(session, self.clock).list(active_only=True)
        chosen = [rule for rule in active if rule_id is None or rule.id == rule_id]
        report = RulesReport()
        compiling = RulesReport()
        rules = compile_rules(session, chosen, compiling)
        for failure in set(compiling.failures) - result.broken:  # once a job, not a page
            result.broken.add(failure)
            report.record_failure(failure)
        report.add(RuleEngine(session, self.clock).apply(rules, page))
        return report

    def _active(self, session: Session, key: str) -> int:
        rule = find_rule(session, self.clock, key)
        if not rule.active:
            raise InputError(
                f"rule {rule.name!r} is paused: preview it, then resume it to run it", item="rule"
            )
        return rule.id


__all__ = ["PAGE", "SLICE", "RuleRunService", "RuleRunState", "Slice", "SliceResult"]
