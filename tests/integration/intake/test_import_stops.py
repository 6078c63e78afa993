"""An import stopped midway still reports every row, and running the same file again is safe:
against the sandbox org over HTTPS, with faults injected after the first batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from leadbridge.domain.fields import Origin
from leadbridge.importing import NOT_WRITTEN, ImportSummary, import_csv
from leadbridge.ports import CrmClient
from leadbridge.store import ProspectRepository
from leadbridge.store.connector_settings import ConnectorSettings
from leadbridge.store.models.prospects import ProspectRow
from leadbridge.store.models.sync import AuditRow
from tests.integration.intake.test_intake_engine import new_lead
from tests.integration.sync.conftest import Wired, fast_client

# Line 2..10: three batches of three. Line 6 is a bad row inside the batch that fails.
CSV = (
    b"email,city\n"
    b"a1@example.com,Oslo\n"
    b"lead@example.com,\n"
    b"a3@example.com,\n"
    b"b1@example.com,\n"
    b"not-an-email,\n"
    b"b3@example.com,\n"
    b"c1@example.com,\n"
    b"c2@example.com,\n"
    b"c3@example.com,\n"
)


def statuses(summary: ImportSummary) -> dict[int, str]:
    return {o.line or 0: o.status for o in summary.outcomes}


def prospect_emails(wired: Wired) -> list[str]:
    with wired.db.session() as session:
        return sorted(session.scalars(select(ProspectRow.email)))


def audit_per_prospect(wired: Wired) -> dict[int, int]:
    with wired.db.session() as session:
        found = session.execute(
            select(AuditRow.prospect_id, func.count()).group_by(AuditRow.prospect_id)
        )
        return {int(prospect_id): int(count) for prospect_id, count in found}


def run(wired: Wired, crm: CrmClient | None = None, **options: Any) -> ImportSummary:
    return import_csv(wired.db, crm or wired.crm, wired.clock, CSV, batch_size=3, **options)


class FaultAfterFirstBatch:
    """The real client; Salesforce starts failing as `kind` (the next `next_n` calls) when the
    second batch looks its emails up. The lookups run one batch ahead of the writes, so the
    first batch is written after that."""

    def __init__(self, wired: Wired, kind: str, next_n: int) -> None:
        self.wired, self.kind, self.next_n = wired, kind, next_n
        self.calls = 0

    def find_by_emails(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 3:  # batch 1 looks up contacts, then leads
            self.wired.control("POST", "/faults", {"kind": self.kind, "next_n": self.next_n})
        return self.wired.crm.find_by_emails(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wired.crm, name)


def test_salesforce_down_after_the_first_batch_then_a_rerun_finishes(wired: Wired) -> None:
    lead = new_lead(wired, "lead@example.com", FirstName="Lee")
    # The client tries twice (tests/integration/sync/conftest.py): five 503s outlast it.
    crm: Any = FaultAfterFirstBatch(wired, "SERVER_UNAVAILABLE", 5)
    first = run(wired, crm)
    assert first.stopped is not None
    assert (first.stopped.line, first.stopped.code) == (5, "SERVER_UNAVAILABLE")
    assert first.stopped.salesforce and first.stopped.retryable
    assert statuses(first) == {
        2: "created",
        3: "created",
        4: "created",
        5: NOT_WRITTEN,
        6: "skipped",
        7: NOT_WRITTEN,
        8: NOT_WRITTEN,
        9: NOT_WRITTEN,
        10: NOT_WRITTEN,
    }
    rows = {o.line: o for o in first.outcomes}
    assert rows[3].crm_id == lead
    assert rows[5].email == "b1@example.com"
    assert rows[5].reason is not None and "stopped at line 5" in rows[5].reason
    assert rows[6].reason is not None and "invalid email" in rows[6].reason
    assert rows[10].email == "c3@example.com"
    assert first.written == 3 and not first.complete
    assert first.as_dict()["stopped"]["code"] == "SERVER_UNAVAILABLE"
    assert prospect_emails(wired) == ["a1@example.com", "a3@example.com", "lead@example.com"]
    audit_before = audit_per_prospect(wired)
    assert set(audit_before) == {o.prospect_id for o in first.outcomes if o.prospect_id}

    wired.control("DELETE", "/faults")  # Salesforce is back
    second = run(wired)
    assert second.complete and second.stopped is None
    assert [statuses(second)[line] for line in (2, 3, 4)] == ["unchanged"] * 3
    assert [statuses(second)[line] for line in (5, 7, 8, 9, 10)] == ["created"] * 5
    assert statuses(second)[6] == "skipped"
    assert len(prospect_emails(wired)) == 8  # no duplicates
    audit_after = audit_per_prospect(wired)
    assert {key: audit_after[key] for key in audit_before} == audit_before  # left as they were
    assert len(audit_after) == 8


def test_the_api_allowance_spent_midway(wired: Wired) -> None:
    crm: Any = FaultAfterFirstBatch(wired, "REQUEST_LIMIT_EXCEEDED", 1)
    summary = run(wired, crm)
    assert summary.stopped is not None
    assert summary.stopped.code == "REQUEST_LIMIT_EXCEEDED" and summary.stopped.line == 5
    assert summary.written == 3
    # The client stops calling once the allowance is spent; a later run (a new client) finishes.
    fresh = fast_client(wired.service.credentials(), ConnectorSettings())
    assert run(wired, fresh).complete
    assert len(prospect_emails(wired)) == 8


class InterruptingCrm:
    """The real client; Ctrl-C arrives during the `n`th email lookup."""

    def __init__(self, crm: CrmClient, n: int) -> None:
        self.crm, self.left = crm, n

    def find_by_emails(self, *args: Any, **kwargs: Any) -> Any:
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt
        return self.crm.find_by_emails(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.crm, name)


def test_ctrl_c_in_the_second_batch(wired: Wired) -> None:
    crm: Any = InterruptingCrm(wired.crm, 3)  # batch 1 looks up contacts, then leads
    summary = run(wired, crm)
    assert summary.stopped is not None
    assert (summary.stopped.code, summary.stopped.line) == ("interrupted", 5)
    assert summary.written == 3
    assert [o.line for o in summary.outcomes] == list(range(2, 11))


def test_an_unexpected_error_undoes_the_whole_batch(wired: Wired) -> None:
    calls: list[Sequence[int]] = []

    def after_change(
        session: Any, prospect_ids: Sequence[int], origin: Origin, *, fresh: Any = ()
    ) -> None:
        calls.append(prospect_ids)
        if len(calls) == 2:  # the second batch's prospects are added, then this fails
            raise RuntimeError("boom")

    summary = run(wired, after_change=after_change)
    assert summary.stopped is not None
    assert summary.stopped.code == "internal_error" and summary.stopped.line == 5
    assert "boom" not in summary.stopped.cause  # details go to the log only
    assert statuses(summary)[7] == NOT_WRITTEN
    assert prospect_emails(wired) == ["a1@example.com", "a3@example.com", "lead@example.com"]
    with wired.db.session() as session:
        assert ProspectRepository(session, wired.clock).by_emails(["b1@example.com"]) == {}
