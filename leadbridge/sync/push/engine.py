"""The push engine: prospects that need a push go to Salesforce, in waves.

    engine = PushEngine(db, crm, clock)
    summary = engine.run_once()                          # the outbox's pending pushes
    summary = engine.run_once(manual=True, prospect_ids=[42])   # "sync with CRM"

A wave is up to `wave_size` prospects (the connector's bulk threshold when the backlog is
that large, so big loads go through Bulk API 2.0). For each wave:

1. read the prospects, their outbox items, agreed values and upsert keys (one transaction,
   committed: the keys exist before anything is sent);
2. gate them (`domain.push.push_blockers`), then read Salesforce: linked records by id,
   the rest matched by email (contacts, then unconverted leads);
3. plan each record (`domain.push_record`), refusing before sending what Salesforce would
   refuse (`domain.preflight`); fields where both sides changed get Salesforce's field
   history (one read per object), and leadbridge's times are put on Salesforce's clock;
4. record the values about to be sent (committed), then write: updates per object, new
   leads by upsert on LeadBridge_Prospect_Id__c;
5. record the outcomes, one transaction per `batch_size` prospects.

Then requests to add prospects to Salesforce campaigns are applied for prospects now in
Salesforce. An exhausted API allowance stops the run cleanly: what was not sent stays in
the outbox.

Two hooks make it safe to run beside others and to stop: `guard` is called before every
write to Salesforce and raises when this runner may no longer write (it lost the sync
lease: see sync/runner.py); `stop` (an Event) is checked between waves, so a shutdown lets
the wave in flight finish and record its outcomes, and leaves the rest queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

from leadbridge.errors import CrmError, CrmLimitError
from leadbridge.ports import Clock, CrmClient
from leadbridge.store.database import Database
from leadbridge.store.outbox import PUSH, OutboxItem, OutboxRepository
from leadbridge.store.sync_state import SyncStateRepository
from leadbridge.sync.config import PushConfig, load_config
from leadbridge.sync.push.campaigns import CampaignStage
from leadbridge.sync.push.commit import commit
from leadbridge.sync.push.inputs import Candidate, load_wave
from leadbridge.sync.push.lookup import Lookup
from leadbridge.sync.push.plan import Outcome, gate, plan_wave
from leadbridge.sync.push.summary import PushSummary
from leadbridge.sync.push.writer import record_sent, send

Progress = Callable[[int, int], None]  # (prospects done, prospects to do)
Guard = Callable[[], None]  # raises when this runner may no longer write to Salesforce
WAVE_SIZE = 2000  # a retrieve's 2,000 ids; the lookups pack ~1,500 emails per call
MAX_WAVE = 10_000  # the outbox's largest page


class PushEngine:
    def __init__(
        self,
        db: Database,
        crm: CrmClient,
        clock: Clock,
        *,
        batch_size: int = 200,
        wave_size: int = WAVE_SIZE,
        progress: Progress | None = None,
        guard: Guard | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.db = db
        self.crm = crm
        self.clock = clock
        self.batch_size = batch_size
        self.wave_size = wave_size
        self.progress = progress
        self.guard = guard or (lambda: None)
        self.stop = stop or threading.Event()

    def run_once(
        self, *, manual: bool = False, prospect_ids: Sequence[int] | None = None
    ) -> PushSummary:
        """One push cycle. Automatic runs (`manual` False) do nothing while the connector
        is paused; `prospect_ids` pushes those prospects now (with `manual`, even paused)."""
        summary = PushSummary()
        with self.db.session(readonly=True) as session:
            config = load_config(session)
        if config.paused and not manual:
            summary.paused = True
            return summary
        before = self.crm.usage().api_calls
        try:
            stop = self._waves(config, summary, manual=manual, prospect_ids=prospect_ids)
            if self.stop.is_set():
                summary.stopped = "stopped: shutting down; the rest stays queued"
                return summary
            if stop is None:
                self.guard()
                stop = CampaignStage(self.db, self.crm, self.clock).run(
                    summary, prospect_ids=prospect_ids
                )
            if stop is not None:
                summary.stopped = _stopped(stop)
        finally:
            summary.api_calls = self.crm.usage().api_calls - before
        return summary

    # -- waves -----------------------------------------------------------------------------

    def _waves(
        self,
        config: PushConfig,
        summary: PushSummary,
        *,
        manual: bool,
        prospect_ids: Sequence[int] | None,
    ) -> CrmError | None:
        total = len(prospect_ids) if prospect_ids is not None else self._backlog()
        size = self._wave_size(config, total)
        seen: set[int] = set()
        done = 0
        if self.progress is not None:
            self.progress(0, total)
        for items in self._next_waves(prospect_ids, size, seen):
            with self.db.session() as session:
                config = load_config(session)
                candidates = load_wave(session, self.clock, config, items, manual=manual)
            stop = self._push(config, candidates, summary)
            done += len(items)
            if self.progress is not None:
                self.progress(min(done, total), total)
            if stop is not None:
                return stop
            if self.stop.is_set():
                return None
        return None

    def _backlog(self) -> int:
        with self.db.session(readonly=True) as session:
            return OutboxRepository(session, self.clock).count_pending(PUSH)

    def _wave_size(self, config: PushConfig, total: int) -> int:
        threshold = config.settings.bulk_threshold
        if total >= threshold:
            return max(self.wave_size, min(threshold, MAX_WAVE))
        return self.wave_size

    def _next_waves(
        self, prospect_ids: Sequence[int] | None, size: int, seen: set[int]
    ) -> Iterator[dict[int, list[OutboxItem]]]:
        """Waves of prospect id → pending outbox items: the given prospects, or the due
        outbox items (each item is read once per run, so a run always ends)."""
        if prospect_ids is not None:
            ids = list(dict.fromkeys(prospect_ids))
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                with self.db.session(readonly=True) as session:
                    pending = SyncStateRepository(session, self.clock).pending_pushes(chunk)
                yield {pid: pending.get(pid, []) for pid in chunk}
            return
        while True:
            with self.db.session() as session:
                outbox = OutboxRepository(session, self.clock)
                fresh = [item for item in outbox.pending(PUSH, size) if item.id not in seen]
                orphans = [item.id for item in fresh if item.prospect_id is None]
                outbox.mark_done(orphans)
            if not fresh:
                return
            seen.update(item.id for item in fresh)
            wave = _by_prospect(item for item in fresh if item.prospect_id is not None)
            if wave:
                yield wave

    def _push(
        self, config: PushConfig, candidates: Sequence[Candidate], summary: PushSummary
    ) -> CrmError | None:
        outcomes = [gate(candidate) for candidate in candidates]
        summary.considered += len(outcomes)
        going = [o for o in outcomes if o.skipped is None]
        stop: CrmError | None = None
        try:
            found = Lookup(self.crm, config).find([o.candidate for o in going])
            plan_wave(self.crm, self.clock, going, found, config)
        except CrmError as error:
            _postpone(going, error)
            stop = error
        else:
            self.guard()  # fencing: nothing is written unless this runner still may
            record_sent(self.db, self.clock, going)
            try:
                stop = send(self.crm, going, key_field=config.key_field)
            except CrmError as error:  # a Bulk job failed as a whole: results unknown
                for outcome in going:
                    if outcome.ready and outcome.crm_id is None:
                        outcome.deferred = True  # stays queued; upserts make a rerun safe
                stop = error
        commit(self.db, self.clock, outcomes, summary, batch_size=self.batch_size)
        return stop


def _by_prospect(items: Iterable[OutboxItem]) -> dict[int, list[OutboxItem]]:
    wave: dict[int, list[OutboxItem]] = {}
    for item in items:
        if item.prospect_id is not None:
            wave.setdefault(item.prospect_id, []).append(item)
    return wave


def _postpone(outcomes: Sequence[Outcome], error: CrmError) -> None:
    """Salesforce could not be read for this wave (down, the allowance spent, a setup
    problem): nothing is wrong with these prospects, so they stay due for the next run, which
    the summary's `stopped` explains. No per-prospect sync error and no per-prospect backoff:
    after an outage of any length the next cycle pushes them all (the loop paces itself)."""
    for outcome in outcomes:
        outcome.deferred = True


def _stopped(error: CrmError) -> str:
    if isinstance(error, CrmLimitError):
        return f"stopped: the Salesforce API allowance is spent ({error.message})"
    return f"stopped: Salesforce could not be reached or refused the lookup ({error})"
