"""Automation rule use cases for the CLI: define, list, show, preview, run, pause, delete.

Results are JSON-friendly dicts. A rule is named by its id or its name everywhere.
"""

from __future__ import annotations

import time
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
from leadbridge.domain.automation import (
    MAX_ACTIONS,
    UNCHANGEABLE_FIELDS,
    describe_action,
    parse_actions,
)
from leadbridge.domain.criteria import (
    MAX_CRITERIA,
    PSEUDO_FIELDS,
    compile_condition,
    compile_criteria,
    kind_of,
    parse_match,
)
from leadbridge.domain.ids import row_id
from leadbridge.errors import InputError, LeadbridgeError, NotFoundError
from leadbridge.ports import Clock
from leadbridge.store.automation import AutomationRule, AutomationRuleRepository
from leadbridge.store.campaigns import MarketingCampaignRepository
from leadbridge.store.database import Database
from leadbridge.store.groups import UserGroupRepository
from leadbridge.store.prospect import Prospect
from leadbridge.store.rule_matches import RuleMatchRepository
from leadbridge.store.users import UserRepository

MAX_SAMPLE = 1000
MAX_REPEAT_DAYS = 3650


@dataclass(frozen=True)
class PreviewBound:
    """How far a preview may go: it stops counting once `matching` prospects match, or
    after `seconds` (both checked after each page). A bounded preview's result says whether
    it went through every prospect (`complete`); an unbounded one (the CLI's) always does."""

    matching: int = 10_000
    seconds: float = 2.0


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
        _check_repeat(repeat_after_days)
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

    def update(
        self,
        key: str,
        *,
        name: str,
        criteria: Any,
        actions: Any,
        match: str = "all",
        repeat_after_days: int | None = None,
    ) -> dict[str, Any]:
        """Change a rule's definition, checked as `add` checks it. Its state stays, and so
        does whom it fired for (a once-per-prospect rule does not fire for them again)."""
        _check_repeat(repeat_after_days)
        with self.db.session() as session:
            rule = find_rule(session, self.clock, key)
            compiled = checked_criteria(session, criteria, match)
            checked = checked_actions(session, self.clock, actions)
            updated = AutomationRuleRepository(session, self.clock).update(
                rule.id,
                name=name,
                match=str(compiled.match),
                criteria=compiled.to_json(),
                actions=actions_json(checked),
                repeat_after_days=repeat_after_days,
            )
            return self._json(session, updated)

    def problems(self, criteria: list[Any], actions: list[Any], match: str) -> dict[str, str]:
        """Every problem of a definition at once, by item ("criteria[2].value", "actions[0]",
        "match"), for a form that shows each next to its row; empty when it would save."""
        found: dict[str, str] = {}
        with self.db.session(readonly=True) as session:
            types = field_types(session)
            for index, item in enumerate(criteria):
                name = f"criteria[{index}]"
                try:
                    compile_condition(item, types, item_name=name)
                except InputError as error:
                    found[error.item or name] = error.reason
            for index, item in enumerate(actions):
                try:
                    checked_actions(session, self.clock, [item])
                except InputError as error:
                    item_name = (error.item or "actions[0]").replace(
                        "actions[0]", f"actions[{index}]", 1
                    )
                    found[item_name] = error.reason
        for item_name, check in (
            ("match", lambda: parse_match(match)),
            ("criteria", lambda: _check_count(criteria, MAX_CRITERIA, "criteria", "criterion")),
            ("actions", lambda: _check_count(actions, MAX_ACTIONS, "actions", "action")),
        ):
            try:
                check()
            except InputError as error:
                found[item_name] = error.reason
        return found

    def choices(self) -> dict[str, Any]:
        """What a rule may name now: fields (with how each compares), active users' emails,
        user groups and marketing campaigns."""
        with self.db.session(readonly=True) as session:
            types = field_types(session)
            names = sorted(set(types) | set(PSEUDO_FIELDS))
            return {
                "fields": {name: str(kind_of(name, types)) for name in names},
                "action_fields": sorted(set(types) - UNCHANGEABLE_FIELDS - {"do_not_sync"}),
                "users": [user.email for user in UserRepository(session).list(active_only=True)],
                "groups": [g.name for g in UserGroupRepository(session, self.clock).list()],
                "campaigns": [c.name for c in MarketingCampaignRepository(session).list()],
            }

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
        bound: PreviewBound | None = None,
    ) -> dict[str, Any]:
        """Which live prospects the rule matches now (a count and the first `sample`), and how
        many of them it would fire for; changes nothing. `bound` stops it early."""
        with self.db.session(readonly=True) as session:
            rule = find_rule(session, self.clock, key)
        tally = _PreviewTally(rule.criteria, rule.match, self.clock, sample, rule)
        return {
            "rule": rule.name,
            "active": rule.active,
            **self._tally(tally, batch_size=batch_size, progress=progress, bound=bound),
        }

    def preview_criteria(
        self,
        criteria: Any,
        *,
        match: str = "all",
        sample: int = 20,
        batch_size: int = 1000,
        bound: PreviewBound | None = None,
    ) -> dict[str, Any]:
        """What criteria not saved yet would match now (a rule being written); every
        matching prospect is one it would fire for."""
        with self.db.session(readonly=True) as session:
            compiled = checked_criteria(session, criteria, match)
        tally = _PreviewTally(compiled.to_json(), str(compiled.match), self.clock, sample)
        return self._tally(tally, batch_size=batch_size, progress=None, bound=bound)

    def _tally(
        self,
        tally: _PreviewTally,
        *,
        batch_size: int,
        progress: Progress | None,
        bound: PreviewBound | None,
    ) -> dict[str, Any]:
        if not 0 <= tally.sample_size <= MAX_SAMPLE:
            raise InputError(f"must be between 0 and {MAX_SAMPLE}", item="sample")
        stopped = False
        deadline = None if bound is None else time.monotonic() + bound.seconds

        def enough() -> bool:
            nonlocal stopped
            stopped = bound is not None and (
                tally.matching >= bound.matching or time.monotonic() >= (deadline or 0)
            )
            return stopped

        scanned = for_each_page(
            self.db,
            self.clock,
            tally.count,
            readonly=True,
            batch_size=batch_size,
            progress=progress,
            stop=None if bound is None else enough,
        )
        result = {
            "scanned": scanned,
            "matching": tally.matching,
            "would_fire": tally.would_fire,
            "sample": tally.sample,
        }
        return result if bound is None else {**result, "complete": not stopped}

    def run(
        self,
        key: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Progress | None = None,
        report: RulesReport | None = None,
    ) -> dict[str, Any]:
        """Run one active rule, or all of them, over every live prospect, page by page.
        `report`, when given, is added to as each page is done (for a caller showing
        progress); the result is its JSON in the end."""
        rule_id = None if key is None else self._active_rule_id(key)
        report = RulesReport() if report is None else report
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

    criteria: list[dict[str, Any]]
    match: str
    clock: Clock
    sample_size: int
    rule: AutomationRule | None = None  # None: criteria not saved yet (nothing fired)
    matching: int = 0
    would_fire: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    def count(self, session: Session, page: list[Prospect]) -> None:
        rule = self.rule
        criteria = compile_criteria(self.criteria, field_types(session), match=self.match)
        matching = [prospect for prospect in page if criteria.matches(prospect)]
        self.matching += len(matching)
        if rule is None:
            self.would_fire += len(matching)
        else:
            fired = RuleMatchRepository(session, self.clock).last_fired(
                [rule.id], (prospect.id for prospect in matching)
            )
            self.would_fire += sum(
                1 for prospect in matching if not (rule.once and (rule.id, prospect.id) in fired)
            )
        room = max(self.sample_size - len(self.sample), 0)
        self.sample.extend(_brief(prospect) for prospect in matching[:room])


def _check_repeat(repeat_after_days: int | None) -> None:
    if repeat_after_days is not None and not 0 <= repeat_after_days <= MAX_REPEAT_DAYS:
        raise InputError(f"must be between 0 and {MAX_REPEAT_DAYS}", item="repeat after days")


def _check_count(items: list[Any], limit: int, item: str, one: str) -> None:
    if not items:
        raise InputError(f"give at least one {one}", item=item)
    if len(items) > limit:
        raise InputError(f"at most {limit} {item}", item=item)


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
