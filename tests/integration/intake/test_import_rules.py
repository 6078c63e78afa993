"""An import with an active assignment rule, on SQLite and on PostgreSQL (where the batch's
writes are one statement per table, `store.bulk_rows`): the rule fires for the rows it
matches, new and existing prospects alike, the group's turns taken in prospect id order
within a batch and on across batches; a row repeating an email updates the prospect and does
not fire the rule again; the audit rows and outbox items are those of the row-by-row path."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from leadbridge.automation import GroupService, RuleService
from leadbridge.connector.service import ConnectorService
from leadbridge.domain.fields import Origin
from leadbridge.importing import import_csv
from leadbridge.store import (
    AuditRepository,
    Database,
    OutboxRepository,
    ProspectRepository,
    SecretBox,
    UserRepository,
)
from leadbridge.store.models import RuleMatchRow
from tests.conftest import NO_DATA, SandboxClient
from tests.integration.intake.test_intake_engine import new_lead
from tests.integration.sync.conftest import MovableClock, Wired, fast_client

CSV = (
    b"email,country,city\n"
    b"a@example.com,France,\n"  # batch 1: new, the rule fires (second turn)
    b"lee@example.com,Spain,\n"  # a Salesforce lead: linked, assigned from its owner
    b"old@example.com,France,\n"  # an existing prospect updated: the rule fires (first turn)
    b"b@example.com,France,\n"  # batch 2: new, the rule fires (first turn again)
    b"B@example.com,,Oslo\n"  # the same email: updated, the rule does not fire again
    b"not-an-email,France,\n"
)


@pytest.fixture
def wired_db(db: Database, tmp_path: Path, sandbox: SandboxClient) -> Wired:
    """`wired` (tests/integration/sync/conftest.py) over the `db` fixture's store."""
    sandbox.control("POST", "/seed", {"users": 1, **NO_DATA})
    clock = MovableClock()
    service = ConnectorService(db, clock, fast_client, SecretBox(tmp_path / "secret.key"))
    service.add_sandbox(Path(sandbox.credentials["ca_file"]).parent)
    service.verify()
    service.set_paused(False)
    service.sync_users(create=True)
    with db.session() as session:
        admin = sandbox.credentials["username"].lower()
        rep = next(
            user
            for user in UserRepository(session).list()
            if user.crm_username and user.crm_username != admin
        )
    return Wired(db, clock, service, sandbox, rep.id)


def test_a_rule_fires_for_new_and_updated_rows_of_the_import(wired_db: Wired) -> None:
    wired = wired_db
    lead = new_lead(wired, "lee@example.com", LeadBridge_Score__c=0)
    with wired.db.session() as session:
        users = UserRepository(session)
        first, second = (users.add(f"r{n}@example.com", f"R {n}", role="sales") for n in (1, 2))
        old = ProspectRepository(session, wired.clock).add(
            {"email": "old@example.com"}, origin=Origin.USER, actor="t"
        )
    GroupService(wired.db, wired.clock).add("reps", [first.email, second.email])
    RuleService(wired.db, wired.clock).add(
        "French",
        criteria=[{"field": "country", "op": "equals", "value": "France"}],
        actions=[{"type": "assign_group", "group": "reps"}, {"type": "adjust_score", "by": 5}],
    )

    summary = import_csv(
        wired.db, wired.crm, wired.clock, CSV, batch_size=3, after_change=_rules(wired)
    )

    assert summary.complete
    assert [(o.line, o.status) for o in summary.outcomes] == [
        (2, "created"),
        (3, "created"),
        (4, "updated"),
        (5, "created"),
        (6, "updated"),
        (7, "skipped"),
    ]
    ids = {o.line: o.prospect_id or 0 for o in summary.outcomes}
    assert ids[4] == old.id and ids[5] == ids[6]
    with wired.db.session() as session:
        prospects = ProspectRepository(session, wired.clock)
        found = {line: prospects.get(ids[line]) for line in (2, 3, 4, 5)}
        audit = AuditRepository(session)
        trail = {
            line: sorted(
                (e.field, e.new_value, e.origin, e.actor) for e in audit.for_prospect(p.id)
            )
            for line, p in found.items()
        }
        outbox = OutboxRepository(session, wired.clock).pending("push")
        matches = sorted(session.scalars(select(RuleMatchRow.prospect_id)))
    assigned = {line: p.assigned_user_id for line, p in found.items()}
    # Turns in prospect id order within a batch (the existing prospect first), then on.
    assert assigned == {2: second.id, 3: wired.rep_user_id, 4: first.id, 5: first.id}
    assert {line: p.score for line, p in found.items()} == {2: 5, 3: 0, 4: 5, 5: 5}
    assert (found[3].crm_lead_id, found[5].city) == (lead, "Oslo")
    assert matches == sorted([ids[2], ids[4], ids[5]])
    assert trail[2] == sorted(
        [
            ("prospect", "created", Origin.IMPORT, None),
            ("assigned_user_id", str(second.id), Origin.AUTOMATION, "French"),
            ("score", "5", Origin.AUTOMATION, "French"),
        ]
    )
    assert ("country", "France", Origin.IMPORT, None) in trail[4]
    assert ("assigned_user_id", str(first.id), Origin.AUTOMATION, "French") in trail[4]
    assert ("city", "Oslo", Origin.IMPORT, None) in trail[5]
    reasons = sorted((item.prospect_id, item.reason) for item in outbox)
    # The score changed while unassigned (nothing to push yet); then one push per assignment.
    assert reasons == sorted((ids[line], "assigned") for line in (2, 3, 4, 5))


def _rules(wired: Wired) -> object:
    from leadbridge.automation import run_rules_for

    def after(
        session: object, prospect_ids: object, origin: Origin, *, fresh: object = ()
    ) -> object:
        return run_rules_for(session, wired.clock, prospect_ids, origin, fresh=fresh)  # type: ignore[arg-type]

    return after
