"""Running automation rules for prospects, in the caller's transaction.

`run_rules_for` is what every writer calls after it changed prospects: the form handler, the
pull engine (changes from Salesforce), the push engine. Active rules run in id order for each
live prospect, each on the prospect as the previous rules left it. One pass: changes made by
rules do not trigger rules again (no loops), so `origin=Origin.AUTOMATION` does nothing.

A rule fires for a prospect when its criteria match and it may fire: once-per-prospect
rules fire once ever, repeating rules again after `repeat_after_days`. Each firing runs in a
savepoint: when an action fails (say a dropdown value the field no longer accepts), that
rule's changes for that prospect are undone and reported, and everything else goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadbridge.automation.actions import ActionRunner
from leadbridge.automation.definitions import field_types
from leadbridge.automation.set_based import ClaimRefusedError, SetBasedFiring, supported
from leadbridge.domain.automation import Action, parse_actions
from leadbridge.domain.criteria import Criteria, compile_criteria
from leadbridge.domain.fields import Origin
from leadbridge.errors import LeadbridgeError
from leadbridge.ports import Clock
from leadbridge.store.automation import AutomationRule, AutomationRuleRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.prospect_batches import prospects_by_ids
from leadbridge.store.prospect_fields import FieldCatalog
from leadbridge.store.rule_matches import RuleMatchRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompiledRule:
    rule: AutomationRule
    criteria: Criteria
    actions: tuple[Action, ...]

    @property
    def repeat_after(self) -> timedelta | None:
        days = self.rule.repeat_after_days
        return None if days is None else timedelta(days=days)


@dataclass(frozen=True)
class Firing:
    rule: str
    prospect_id: int
    done: tuple[str, ...]
    skipped: tuple[str, ...]


MAX_LISTED = 100  # firings and failures listed in a report (all are counted)


@dataclass
class RulesReport:
    """What a run did: counts, and the first firings and failures in detail (a run over
    every prospect must not hold one entry per prospect)."""

    prospects: int = 0  # live prospects evaluated
    matched: int = 0  # (rule, prospect) pairs whose criteria matched
    fired: int = 0
    failed: int = 0
    firings: list[Firing] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def record_firing(self, firing: Firing) -> None:
        self.fired += 1
        if len(self.firings) < MAX_LISTED:
            self.firings.append(firing)

    def record_failure(self, message: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_LISTED:
            self.failures.append(message)

    def add(self, other: RulesReport) -> None:
        self.prospects += other.prospects
        self.matched += other.matched
        self.fired += other.fired
        self.failed += other.failed
        self.firings.extend(other.firings[: MAX_LISTED - len(self.firings)])
        self.failures.extend(other.failures[: MAX_LISTED - len(self.failures)])


def compile_rules(
    session: Session, rules: Sequence[AutomationRule], report: RulesReport
) -> list[CompiledRule]:
    """Rules ready to evaluate; one that no longer compiles (a field gone) is reported and
    left out rather than stopping the others."""
    types = field_types(session)
    compiled: list[CompiledRule] = []
    for rule in rules:
        try:
            criteria = compile_criteria(rule.criteria, types, match=rule.match)
            compiled.append(CompiledRule(rule, criteria, tuple(parse_actions(rule.actions))))
        except LeadbridgeError as error:
            report.record_failure(f"rule {rule.name!r} cannot run: {error}")
    return compiled


def run_rules_for(
    session: Session,
    clock: Clock,
    prospect_ids: Iterable[int],
    origin: Origin,
    *,
    fresh: Sequence[Prospect] = (),
) -> RulesReport:
    """Run the active rules for these prospects after `origin` changed them. `fresh`: current
    snapshots of some of them that this transaction created (an import's new prospects): no
    other transaction can see their rows, so they are neither locked nor read again."""
    if origin is Origin.AUTOMATION:
        return RulesReport()
    report = RulesReport()
    active = AutomationRuleRepository(session, clock).list(active_only=True)
    if not active:
        return report
    rules = compile_rules(session, active, report)
    prospects = _locked_prospects(session, list(prospect_ids), fresh)
    report.add(RuleEngine(session, clock).apply(rules, prospects, locked=True))
    return report


def _locked_prospects(
    session: Session, ids: Sequence[int], fresh: Sequence[Prospect]
) -> list[Prospect]:
    """The prospects with these ids, in id order, read after their rows were locked; those
    in `fresh` taken as they are."""
    given = {prospect.id: prospect for prospect in fresh}
    read = prospects_by_ids(session, [i for i in ids if i not in given], lock=True)
    known = [given[i] for i in dict.fromkeys(ids) if i in given]
    return sorted([*read, *known], key=lambda prospect: prospect.id)


class RuleEngine:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self._matches = RuleMatchRepository(session, clock)

    def apply(
        self, rules: Sequence[CompiledRule], prospects: Sequence[Prospect], *, locked: bool = False
    ) -> RulesReport:
        """Evaluate and fire the rules for a batch of prospects (recycled ones are skipped);
        `locked`: they were read after their rows were locked."""
        live = [prospect for prospect in prospects if not prospect.recycled]
        last_fired = self._matches.last_fired(
            (rule.rule.id for rule in rules), (prospect.id for prospect in live)
        )
        catalog = FieldCatalog.load(self.session)
        if rules and live and supported(rules, catalog):
            report = RulesReport()
            try:
                with self.session.begin_nested():
                    SetBasedFiring(self.session, self.clock, catalog).apply(
                        rules, live, last_fired, report, locked=locked
                    )
            except ClaimRefusedError:
                logger.info("a rule claim was refused: the batch runs row by row")
            else:
                return report
        return self._apply_row_by_row(rules, live, last_fired)

    def _apply_row_by_row(
        self,
        rules: Sequence[CompiledRule],
        live: Sequence[Prospect],
        last_fired: dict[tuple[int, int], datetime],
    ) -> RulesReport:
        """One firing at a time, each claimed and written on its own (see `set_based`)."""
        report = RulesReport()
        for prospect in live:
            report.prospects += 1
            current = prospect
            for rule in rules:
                if not rule.criteria.matches(current):
                    continue
                report.matched += 1
                if not self._may_fire(rule, last_fired.get((rule.rule.id, prospect.id))):
                    continue
                current = self._fire(rule, current, report)
        return report

    def _may_fire(self, rule: CompiledRule, last: datetime | None) -> bool:
        """A cheap pre-check from the batch's matches; `claim` decides for sure."""
        if last is None:
            return True
        repeat_after = rule.repeat_after
        if repeat_after is None:
            return False
        return last <= self.clock.now() - repeat_after

    def _fire(self, rule: CompiledRule, prospect: Prospect, report: RulesReport) -> Prospect:
        name = rule.rule.name
        try:
            with self.session.begin_nested():
                if not self._matches.claim(
                    rule.rule.id, prospect.id, repeat_after=rule.repeat_after
                ):
                    return prospect
                runner = ActionRunner(
                    self.session, self.clock, origin=Origin.AUTOMATION, actor=name
                )
                outcome = runner.run(prospect.id, rule.actions)
        except LeadbridgeError as error:
            logger.warning(
                "automation rule failed",
                extra={"action": "rule_failed", "rule": name, "prospect_id": prospect.id},
            )
            report.record_failure(f"rule {name!r} on prospect {prospect.id}: {error}")
            return prospect
        report.record_firing(Firing(name, prospect.id, outcome.done, outcome.skipped))
        return outcome.prospect
