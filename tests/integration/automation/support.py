"""Building blocks for the automation tests: users, prospects, rules, reading results back."""

from __future__ import annotations

from typing import Any

from leadbridge.automation import RuleService, run_rules_for
from leadbridge.automation.engine import RulesReport
from leadbridge.domain.fields import Origin
from leadbridge.store import Database, OutboxRepository, ProspectRepository, UserRepository
from leadbridge.store.prospect import Prospect
from tests.integration.store.support import FakeClock


def add_users(db: Database, *emails: str) -> list[int]:
    with db.session() as session:
        users = UserRepository(session)
        return [users.add(email, email.split("@")[0], role="sales").id for email in emails]


def add_prospects(db: Database, clock: FakeClock, *rows: dict[str, Any]) -> list[int]:
    with db.session() as session:
        repo = ProspectRepository(session, clock)
        return [repo.add(row, origin=Origin.USER, actor="test").id for row in rows]


def add_rule(db: Database, clock: FakeClock, name: str, **definition: Any) -> dict[str, Any]:
    return RuleService(db, clock).add(name, **definition)


def changed(db: Database, clock: FakeClock, *ids: int, origin: Origin = Origin.USER) -> RulesReport:
    """What a writer does after changing prospects: run the rules in its transaction."""
    with db.session() as session:
        return run_rules_for(session, clock, ids, origin)


def get(db: Database, clock: FakeClock, prospect_id: int) -> Prospect:
    with db.session(readonly=True) as session:
        return ProspectRepository(session, clock).get(prospect_id)


def pushes(db: Database, clock: FakeClock) -> list[tuple[int | None, str]]:
    with db.session(readonly=True) as session:
        return [
            (item.prospect_id, item.reason)
            for item in OutboxRepository(session, clock).pending("push", limit=1000)
        ]
