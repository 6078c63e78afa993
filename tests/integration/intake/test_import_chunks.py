"""An import by workers (PostgreSQL), against the sandbox org: the file's rows are kept in
chunks with the import run and a job per chunk is queued, in one transaction; each chunk is
written with its report rows and marked done in one transaction, so a chunk run again (after
a crash, or by two jobs at once) writes nothing twice; an error that retrying cannot mend
stops the import there, and the rest of the file is reported not written."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from leadbridge.connector.service import ConnectorService
from leadbridge.errors import CrmError
from leadbridge.importing.jobs import enqueue_import, run_chunk, summary_of
from leadbridge.store import Database, SecretBox, UserRepository
from leadbridge.store.import_runs import ImportRunRepository
from leadbridge.store.models import ImportRunRowRow, ProspectRow
from tests.conftest import NO_DATA, SandboxClient
from tests.integration.store.conftest import _empty
from tests.integration.sync.conftest import MovableClock, Wired, fast_client

pytestmark = pytest.mark.postgres


@pytest.fixture
def wired_pg(tmp_path: Path, sandbox: SandboxClient, postgres_database: Database) -> Wired:
    sandbox.control("POST", "/seed", {"users": 1, **NO_DATA})
    store = postgres_database
    _empty(store)
    with store.session() as session:
        session.execute(text("SET LOCAL search_path TO procrastinate, public"))
        session.execute(text("DELETE FROM procrastinate_jobs"))
    moving = MovableClock()
    service = ConnectorService(store, moving, fast_client, SecretBox(tmp_path / "secret.key"))
    service.add_sandbox(Path(sandbox.credentials["ca_file"]).parent)
    service.verify()
    service.set_paused(False)
    service.sync_users(create=True)
    with store.session() as session:
        rep = next(user for user in UserRepository(session).list() if user.crm_username)
    return Wired(store, moving, service, sandbox, rep.id)


def csv_of(emails: list[str]) -> bytes:
    lines = ["email,company", *(f"{email},Chunk Co" for email in emails)]
    return ("\n".join(lines) + "\n").encode()


def queued(db: Database) -> list[dict[str, Any]]:
    with db.session(readonly=True) as session:
        rows = session.execute(
            text("SELECT task_name, lock, args FROM procrastinate.procrastinate_jobs ORDER BY id")
        )
        return [{"task": t, "lock": lock, "args": dict(a)} for t, lock, a in rows]


def report_rows(db: Database, run_id: int) -> int:
    with db.session(readonly=True) as session:
        query = select(func.count()).where(ImportRunRowRow.run_id == run_id)
        return int(session.scalar(query) or 0)


def prospects(db: Database) -> int:
    with db.session(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(ProspectRow)) or 0)


def test_chunks_are_queued_with_the_run_and_each_is_written_once(wired_pg: Wired) -> None:
    db, clock, crm = wired_pg.db, wired_pg.clock, wired_pg.crm
    emails = [f"c{n}@chunks.example.com" for n in range(25)]
    data = csv_of([*emails[:12], "not-an-email", *emails[12:], emails[0]])  # 27 rows
    run = enqueue_import(
        db, clock, data, user_id=None, actor="t", filename="c.csv", undelete=False, chunk_size=10
    )
    assert (run.status, run.total_rows) == ("queued", 27)
    lock = f"import:{run.id}"
    assert queued(db) == [
        {"task": "leadbridge:import_chunk", "lock": lock, "args": {"run_id": run.id, "seq": s}}
        for s in range(3)
    ]
    first = run_chunk(db, crm, clock, run.id, 0)
    assert first["rows"] == 10
    assert run_chunk(db, crm, clock, run.id, 0) == {"chunk": 0, "skipped": "already done"}
    # Two jobs of one chunk at once: one writes it, the other's transaction is undone.
    results: list[dict[str, Any]] = []
    both = [
        threading.Thread(target=lambda: results.append(run_chunk(db, crm, clock, run.id, 1)))
        for _ in range(2)
    ]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    assert sorted(str(r.get("skipped")) for r in results) == ["None", "done by another job"], (
        results
    )
    with db.session(readonly=True) as session:
        middle = ImportRunRepository(session, clock).get(run.id)
    assert (middle.status, middle.rows_done) == ("running", 20)
    run_chunk(db, crm, clock, run.id, 2)

    summary = summary_of(db, clock, run.id)
    assert [o.line for o in summary.outcomes] == list(range(2, 29))
    # The last row repeats the first email with the same values: unchanged, as in one process.
    assert summary.counts == {"created": 25, "skipped": 1, "unchanged": 1}
    assert summary.stopped is None
    assert report_rows(db, run.id) == 27 and prospects(db) == 25
    with db.session(readonly=True) as session:
        done = ImportRunRepository(session, clock).get(run.id)
    assert (done.status, done.rows_done, done.finished_at is not None) == ("done", 27, True)


class Refusing:
    """A client whose lookups Salesforce refuses for good (say the user lost access)."""

    def __init__(self, crm: Any) -> None:
        self.crm = crm

    def find_by_emails(self, *args: Any, **kwargs: Any) -> Any:
        raise CrmError("INSUFFICIENT_ACCESS", "no access to Lead")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.crm, name)


def test_an_error_retrying_cannot_mend_stops_the_import_there(wired_pg: Wired) -> None:
    db, clock, crm = wired_pg.db, wired_pg.clock, wired_pg.crm
    emails = [f"s{n}@chunks.example.com" for n in range(30)]
    run = enqueue_import(
        db, clock, csv_of(emails), user_id=None, actor="t", filename="s.csv", undelete=False,
        chunk_size=10,
    )  # fmt: skip
    run_chunk(db, crm, clock, run.id, 0)
    stopped = run_chunk(db, Refusing(crm), clock, run.id, 1)  # type: ignore[arg-type]
    assert "no access" in stopped["stopped"]
    assert run_chunk(db, crm, clock, run.id, 2) == {"chunk": 2, "skipped": "already stopped"}
    summary = summary_of(db, clock, run.id)
    assert summary.counts == {"created": 10, "not written": 20}
    assert summary.stopped is not None and summary.stopped.line == 12
    assert "Stopped at line 12" in summary.stopped.cause
    assert prospects(db) == 10
