"""One sync cycle: its steps in order (pull, then push; intake and mirrors add theirs).

    cycle = SyncCycle([Step("pull", pull.run_once), Step("push", push.run_once)])
    cycle.insert_before("push", Step("intake", intake.run_once))   # another feature's step
    summary = cycle.run_once()          # summary.results["pull"], summary.push, …

A step is a name and a callable returning its summary (anything, ideally with `as_dict()`
and an `api_calls` attribute). A step that raises — any exception, not only leadbridge's —
does not stop the later steps: the error is logged (with its traceback when unexpected),
kept in the summary, and raised again only when every step failed. A set `stop` Event
skips the steps not yet started.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadbridge.errors import LeadbridgeError
from leadbridge.ports import Clock, CrmClient
from leadbridge.store.change_streams import ChangeStreamRepository
from leadbridge.store.connector import ConnectorRepository
from leadbridge.store.database import Database
from leadbridge.store.mirrors_custom import CustomObjectRepository
from leadbridge.store.statistics import analyze_stale_tables
from leadbridge.sync.intake import IntakeSummary, auto_create_runner
from leadbridge.sync.mirrors import MirrorSummary, mirror_step
from leadbridge.sync.pull import AfterChanges, PullEngine, PullSummary
from leadbridge.sync.push import Guard, Progress, PushEngine, PushSummary
from leadbridge.sync.stream.apply import MIRRORS_CHANGED

log = logging.getLogger("leadbridge.sync")


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], Any]


@dataclass
class CycleSummary:
    results: dict[str, Any] = field(default_factory=dict)  # step name → its summary
    failures: dict[str, Exception] = field(default_factory=dict)

    @property
    def pull(self) -> PullSummary | None:
        found = self.results.get("pull")
        return found if isinstance(found, PullSummary) else None

    @property
    def push(self) -> PushSummary | None:
        found = self.results.get("push")
        return found if isinstance(found, PushSummary) else None

    @property
    def paused(self) -> bool:
        return bool(self.results) and all(
            getattr(result, "paused", False) for result in self.results.values()
        )

    @property
    def api_calls(self) -> int:
        return sum(int(getattr(r, "api_calls", 0) or 0) for r in self.results.values())

    def as_dict(self) -> dict[str, Any]:
        steps = {
            name: result.as_dict() if hasattr(result, "as_dict") else result
            for name, result in self.results.items()
        }
        return {
            **steps,
            "failures": {name: str(error) for name, error in self.failures.items()},
            "api_calls": self.api_calls,
        }


class SyncCycle:
    def __init__(self, steps: Sequence[Step] = (), *, stop: threading.Event | None = None) -> None:
        self.steps: list[Step] = list(steps)
        self.stop = stop or threading.Event()

    def append(self, step: Step) -> None:
        self.steps.append(step)

    def insert_before(self, name: str, step: Step) -> None:
        """Add `step` before the step called `name` (at the end when there is none)."""
        index = next((i for i, s in enumerate(self.steps) if s.name == name), len(self.steps))
        self.steps.insert(index, step)

    def run_once(self) -> CycleSummary:
        summary = CycleSummary()
        for step in self.steps:
            if self.stop.is_set():
                break
            try:
                summary.results[step.name] = step.run()
            except LeadbridgeError as error:
                log.warning("sync step %s failed: %s", step.name, error)
                summary.failures[step.name] = error
            except Exception as error:
                log.exception("sync step %s failed unexpectedly", step.name)
                summary.failures[step.name] = error
        if self.steps and len(summary.failures) == len(self.steps):
            raise next(iter(summary.failures.values()))
        return summary


def sync_cycle(
    db: Database,
    crm: CrmClient,
    clock: Clock,
    *,
    after_pull: AfterChanges | None = None,
    progress: Progress | None = None,
    guard: Guard | None = None,
    stop: threading.Event | None = None,
    streaming: Callable[[], bool] | None = None,
    turns: AbstractContextManager[object] | None = None,
) -> SyncCycle:
    """The standard cycle: pull Salesforce's changes, bring in new records, push leadbridge's,
    then refresh the read-only mirrors. `guard` and `stop` go to the push (see PushEngine).
    While `streaming()` (Change Data Capture brings Lead and Contact changes and new
    records as they happen, `leadbridge.sync.stream`) the poll and the auto-create query
    are skipped: an idle connector spends no API call on them. `turns` (the stream runner's
    lock) is held while the pull, the intake and the push write, so a stream batch is never
    applied in the middle of one; the mirrors and the statistics run beside the stream."""
    is_streaming = streaming or (lambda: False)
    taking_turns = turns if turns is not None else nullcontext()

    def in_turn(work: Callable[[], Any], streamed: Callable[[], Any] | None = None) -> Any:
        """`work` holding the stream's turn; `streamed()` instead while the stream runs."""

        def step() -> Any:
            if streamed is not None and is_streaming():
                return streamed()
            with taking_turns:
                return work()

        return step

    pull = PullEngine(db, crm, clock, after_changes=after_pull)
    intake = auto_create_runner(db, crm, clock, after_pull)
    push = PushEngine(db, crm, clock, progress=progress, guard=guard, stop=stop)

    def push_with_fresh_statistics() -> PushSummary:
        analyze_stale_tables(db)  # a burst of prospects to push may have no statistics yet
        with taking_turns:
            return push.run_once()

    steps = [
        Step("pull", in_turn(pull.run_once, lambda: PullSummary(streaming=True))),
        Step("push", push_with_fresh_statistics),
    ]
    cycle = SyncCycle(steps, stop=stop)
    cycle.insert_before("push", Step("intake", in_turn(intake, IntakeSummary)))
    cycle.append(
        Step("mirrors", lambda: throttled_mirrors(db, crm, clock, streamed=is_streaming()))
    )
    return cycle


# Mirrors are read-only context (accounts, opportunities, campaigns): every 15 minutes is
# fresh enough, and spares the org's API allowance a handful of calls on every 2-minute poll.
MIRRORS_EVERY = timedelta(minutes=15)
_MIRRORS_CURSOR = ("Mirrors", "last_run")
# The mirrored objects whose changes the stream can bring (with the enabled custom objects).
STREAMED_MIRRORS = frozenset(
    {
        "Account",
        "Opportunity",
        "OpportunityContactRole",
        "Campaign",
        "CampaignMember",
        "CampaignMemberStatus",
    }
)
MIRRORS_WHILE_STREAMING = timedelta(days=1)


def throttled_mirrors(
    db: Database, crm: CrmClient, clock: Clock, *, streamed: bool = False
) -> MirrorSummary:
    """Run the mirrors step unless it ran less than MIRRORS_EVERY ago (an empty summary then).

    While the change stream runs and Salesforce publishes every mirrored object's changes
    too, the mirrors are read only when one of them changed (the stream marks it) and once
    a day (the users): an idle org costs no call."""
    now = clock.now()
    with db.session(readonly=True) as session:
        connector = ConnectorRepository(session)
        last = connector.cursor(*_MIRRORS_CURSOR)
        changed = connector.cursor(*MIRRORS_CHANGED)
        config = connector.get()
        selected = ChangeStreamRepository(session, clock).get().selected or frozenset()
        custom = {kind.api_name for kind in CustomObjectRepository(session).enabled()}
    ran = None if last is None else datetime.fromisoformat(last)
    if ran is not None and streamed and (STREAMED_MIRRORS | custom) <= selected:
        fresh = changed is None or datetime.fromisoformat(changed) <= ran
        if fresh and now - ran < MIRRORS_WHILE_STREAMING:
            return MirrorSummary(paused=config is None or config.paused)
    elif ran is not None and now - ran < MIRRORS_EVERY:
        return MirrorSummary(paused=config is None or config.paused)
    summary = mirror_step(db, crm, clock)
    with db.session() as session:
        ConnectorRepository(session).set_cursor(*_MIRRORS_CURSOR, now.isoformat())
    return summary
