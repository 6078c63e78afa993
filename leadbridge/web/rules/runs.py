""" "Run now" as a background job: the request starts it and redirects; the run goes through
every prospect after the response (like an import), page by page, and the rule's page shows
how far it got ("Running now; N matched so far") and then its outcome.

Runs are kept in memory, per app: a run lives in the server's process and ends with it (the
changes it made are committed page by page, and running a rule again is safe: it fires once
per prospect, or after its repeat delay)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from leadbridge.automation import RuleService
from leadbridge.automation.engine import RulesReport
from leadbridge.automation.rule_runs import RuleRunService
from leadbridge.errors import LeadbridgeError
from leadbridge.store.rule_runs import DONE, FAILED, QUEUED, RuleRunState

log = logging.getLogger("leadbridge.web.rules")


@dataclass(frozen=True)
class RuleRun:
    """One "Run now" of a rule: how far it got and, once `finished`, its outcome."""

    started_at: datetime
    prospects: int = 0  # gone through so far
    total: int = 0  # live prospects when it started
    matched: int = 0
    fired: int = 0
    failed: int = 0
    first_failure: str | None = None
    finished: bool = False
    error: str | None = None  # why it could not run at all
    queued: bool = False  # by workers: no slice started yet
    workers: bool = False  # by `leadbridge worker` processes (the store keeps its progress)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.prospects / self.total)) if self.total else 0


@dataclass
class RuleRuns:
    """The latest run of each rule (by id), safe to read while a run writes it."""

    runs: dict[int, RuleRun] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def latest(self, rule_id: int) -> RuleRun | None:
        with self.lock:
            return self.runs.get(rule_id)

    def start(self, rule_id: int, now: datetime) -> bool:
        """Record a new run; False when one is going already (it is not started twice)."""
        with self.lock:
            current = self.runs.get(rule_id)
            if current is not None and not current.finished:
                return False
            self.runs[rule_id] = RuleRun(started_at=now)
            return True

    def update(self, rule_id: int, **changes: Any) -> None:
        with self.lock:
            self.runs[rule_id] = replace(self.runs[rule_id], **changes)


_CREATING = threading.Lock()


def rule_runs(app: FastAPI) -> RuleRuns:
    """The app's runs (made on first use)."""
    with _CREATING:
        found = getattr(app.state, "leadbridge_rule_runs", None)
        if not isinstance(found, RuleRuns):
            found = RuleRuns()
            app.state.leadbridge_rule_runs = found
        return found


def run_rule(service: RuleService, runs: RuleRuns, rule_id: int) -> None:
    """Run the rule over every prospect, writing its progress to `runs`; whatever happens,
    the run ends finished."""
    report = RulesReport()

    def progress(done: int, total: int) -> None:
        runs.update(
            rule_id, prospects=done, total=total, matched=report.matched, fired=report.fired
        )

    try:
        service.run(str(rule_id), progress=progress, report=report)
    except LeadbridgeError as error:
        runs.update(rule_id, finished=True, error=str(error))
        return
    except Exception:
        log.exception("run now of rule %d failed", rule_id)
        runs.update(rule_id, finished=True, error="an unexpected error stopped it; see the log")
        return
    runs.update(
        rule_id,
        finished=True,
        prospects=report.prospects,
        total=report.prospects,
        matched=report.matched,
        fired=report.fired,
        failed=report.failed,
        first_failure=report.failures[0] if report.failures else None,
    )


def from_state(state: RuleRunState) -> RuleRun:
    """A run by workers (its slices' progress in the store) as the rule's page shows it."""
    return RuleRun(
        started_at=state.started_at,
        prospects=state.prospects,
        total=state.total,
        matched=state.matched,
        fired=state.fired,
        failed=state.failed,
        first_failure=state.first_failure,
        finished=state.status in (DONE, FAILED),
        error=state.error,
        queued=state.status == QUEUED,
        workers=True,
    )


def latest_run(app: FastAPI, service: RuleRunService, rule_id: int) -> RuleRun | None:
    """The latest run of the rule: the workers' (from the store) when the console hands runs
    to them, else this process's."""
    if getattr(app.state, "leadbridge_workers", None) is None:
        return rule_runs(app).latest(rule_id)
    state = service.latest(rule_id)
    return None if state is None else from_state(state)
