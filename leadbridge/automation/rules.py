"""Automation rule use cases for the CLI: define, list, show, preview, run, pause, delete.

Results are JSON-friendly dicts. A rule is named by its id or its name everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadbridge.automation.batches import DEFAULT_BATCH, Progress, for_each_page
from leadbridge.automation.definitions import (
    actions_json,
    checked_actions,
    checked_criteria,
    field_types,
)
from leadbridge.automation.engine import RuleEngine, RulesReport, compile_rules
from leadbridge.domain.automation import describe_action, parse_actions
from leadbridge.domain.criteria import compile_criteria
from leadbridge.domain.ids import row_id
from leadbridge.errors import InputError, LeadbridgeError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.automation import AutomationRule, AutomationRuleRepository
from leadbridge.store.database import Database
from leadbridge.store.prospect import Prospect
from leadbridge.store.rule_matches import RuleMatchRepository

MAX_SAMPLE = 1000
MAX_REPEAT_DAYS = 3650


def find_rule(session: Session, clock: Clock, key: str) -> AutomationRule:
    rules = AutomationRuleRepository(session, clock)
    number = row_id(key, "automation rule")
    if number is not None:
        return rules.get(number)
    found = rules.by_name(key)
    if found is None:
        raise NotFoundError(f"no automation rule named {key!r}")
    return found


class RuleService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add(
        self,
        name: str,
        *,
        criteria: Any,
        actions: Any,
        match: str = "all",
        active: bool = True,
        repeat_after_days: int | None = None,
    ) -> dict[str, Any]:
        """Define a rule (checked against the fields, users, groups and campaigns now)."""
        if repeat_after_days is not None and not 0 <= repeat_after_days <= MAX_REPEAT_DAYS:
            raise InputError(f"must be between 0 and {MAX_REPEAT_DAYS}", item="repeat after days")
        with self.db.session() as session:
            compiled = checked_criteria(session, criteria, match)
            checked = checked_actions(session, self.clock, actions)
            rule = AutomationRuleRepository(session, self.clock).add(
                name,
                match=str(compiled.match),
                criteria=compiled.to_json(),
                actions=actions_json(checked),
                active=active,
                repeat_after_days=repeat_after_days,
            )
            return self._json(session, rule)

    def list(self) -> list[dict[str, Any]]:
        with self.db.session(readonly=True) as session:
            rules = AutomationRuleRepository(session, self.clock).list()
            return [self._json(session, rule) for rule in rules]

    def show(self, key: str) -> dict[str, Any]:
        with self.db.session(readonly=True) as session:
            return self._json(session, find_rule(session, self.clock, key))

    def set_active(self, key: str, active: bool) -> dict[str, Any]:
        with self.db.session() as session:
            rule = find_rule(session, self.clock, key)
            updated = AutomationRuleRepository(session, self.clock).set_active(rule.id, active)
            return self._json(session, updated)

    def delete(self, key: str) -> dict[str, Any]:
        with self.db.session() as session:
            rule = find_rule(session, self.clock, key)
            shown = self._json(session, rule)
            AutomationRuleRepository(session, self.clock).delete(rule.id)
            return shown

    def preview(
        self,
        key: str,
        *,
        sample: int = 20,
        batch_size: int = 1000,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Which live prospects the rule matches now (a count and the first `sample`), and how
        many of them it would fire for; changes nothing."""
        if not 0 <= sample <= MAX_SAMPLE:
            raise InputError(f"must be between 0 and {MAX_SAMPLE}", item="sample")
        with self.db.session(readonly=True) as session:
            rule = find_rule(session, self.clock, key)
        tally = _PreviewTally(rule, self.clock, sample)
        scanned = for_each_page(
            self.db,
            self.clock,
            tally.count,
            readonly=True,
            batch_size=batch_size,
            progress=progress,
        )
        return {
            "rule": rule.name,
            "active": rule.active,
            "scanned": scanned,
            "matching": tally.matching,
            "would_fire": tally.would_fire,
            "sample": tally.sample,
        }

    def run(
        self,
        key: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Run one active rule, or all of them, over every live prospect, page by page."""
        rule_id = None if key is None else self._active_rule_id(key)
        report = RulesReport()
        with self.db.session(readonly=True) as session:
            if not AutomationRuleRepository(session, self.clock).list(active_only=True):
                return report_json(report)
        broken: set[str] = set()  # report a rule that cannot run once, not once per page

        def work(session: Session, page: list[Prospect]) -> None:
            active = AutomationRuleRepository(session, self.clock).list(active_only=True)
            chosen = [rule for rule in active if rule_id is None or rule.id == rule_id]
            compiling = RulesReport()
            rules = compile_rules(session, chosen, compiling)
            for failure in set(compiling.failures) - broken:
                broken.add(failure)
                report.record_failure(failure)
            report.add(RuleEngine(session, self.clock).apply(rules, page))

        for_each_page(
            self.db, self.clock, work, readonly=False, batch_size=batch_size, progress=progress
        )
        return report_json(report)

    def _active_rule_id(self, key: str) -> int:
        with self.db.session(readonly=True) as session:
            rule = find_rule(session, self.clock, key)
        if not rule.active:
            raise InputError(
                f"rule {rule.name!r} is paused: preview it, then resume it to run it", item="rule"
            )
        return rule.id

    def _json(self, session: Session, rule: AutomationRule) -> dict[str, Any]:
        return {
            "id": rule.id,
            "name": rule.name,
            "active": rule.active,
            "match": rule.match,
            "criteria": rule.criteria,
            "actions": rule.actions,
            "repeat": rule.repeat_after_days is not None,
            "repeat_after_days": rule.repeat_after_days,
            "when": _describe_criteria(session, rule),
            "then": [describe_action(action) for action in parse_actions(rule.actions)],
            "fired_for": RuleMatchRepository(session, self.clock).count(rule.id),
            "created_at": rule.created_at.isoformat(),
            "updated_at": rule.updated_at.isoformat(),
        }


@dataclass
class _PreviewTally:
    """What a preview has seen so far, page by page."""

    rule: AutomationRule
    clock: Clock
    sample_size: int
    matching: int = 0
    would_fire: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    def count(self, session: Session, page: list[Prospect]) -> None:
        rule = self.rule
        criteria = compile_criteria(rule.criteria, field_types(session), match=rule.match)
        matching = [prospect for prospect in page if criteria.matches(prospect)]
        fired = RuleMatchRepository(session, self.clock).last_fired(
            [rule.id], (prospect.id for prospect in matching)
        )
        self.matching += len(matching)
        self.would_fire += sum(
            1 for prospect in matching if not (rule.once and (rule.id, prospect.id) in fired)
        )
        room = max(self.sample_size - len(self.sample), 0)
        self.sample.extend(_brief(prospect) for prospect in matching[:room])


def report_json(report: RulesReport) -> dict[str, Any]:
    return {
        "prospects": report.prospects,
        "matched": report.matched,
        "fired": report.fired,
        "failed": report.failed,
        "firings": [
            {"rule": f.rule, "prospect_id": f.prospect_id, "done": f.done, "skipped": f.skipped}
            for f in report.firings
        ],
        "failures": report.failures,
    }


def _describe_criteria(session: Session, rule: AutomationRule) -> str:
    try:
        return compile_criteria(rule.criteria, field_types(session), match=rule.match).describe()
    except LeadbridgeError as error:
        return f"(cannot run: {error})"


def _brief(prospect: Prospect) -> dict[str, Any]:
    return {
        "id": prospect.id,
        "email": prospect.email,
        "assigned_user_id": prospect.assigned_user_id,
        "score": prospect.score,
    }
