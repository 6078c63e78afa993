"""Rule runs by workers (PostgreSQL): the run, its keyset slices and their jobs are recorded
in one transaction; a slice goes page by page, its cursor moving in each page's transaction,
so a slice run again (after a crash, or by two jobs at once) acts on each prospect once —
even for a rule that repeats at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from leadbridge.automation.rule_runs import RuleRunService, SliceResult
from leadbridge.domain.fields import Origin
from leadbridge.errors import ConflictError, InputError
from leadbridge.store import Database, ProspectRepository
from leadbridge.store.models import ProspectRow, RuleMatchRow
from leadbridge.store.rule_runs import RuleRunRepository
from tests.integration.automation.support import add_rule
from tests.integration.store.support import FakeClock

pytestmark = pytest.mark.postgres
PROSPECTS = 1234


@pytest.fixture
def pg(postgres_database: Database) -> Database:
    from tests.integration.store.conftest import _empty

    _empty(postgres_database)
    with postgres_database.session() as session:
        session.execute(text("SET LOCAL search_path TO procrastinate, public"))
        session.execute(text("DELETE FROM procrastinate_jobs"))
    return postgres_database


def seed(db: Database, clock: FakeClock) -> None:
    rows = [
        {"email": f"p{n}@example.com", "company": "acme" if n % 2 else "other"}
        for n in range(PROSPECTS)
    ]
    with db.session() as session:
        ProspectRepository(session, clock).bulk_insert(rows, origin=Origin.USER)
    add_rule(
        db,
        clock,
        "Every acme, every time",
        criteria=[{"field": "company", "op": "equals", "value": "acme"}],
        actions=[{"type": "adjust_score", "by": 1}],
        repeat_after_days=0,  # fires again whenever it runs: a second pass would show
    )


def jobs(db: Database) -> list[tuple[str, str, dict[str, int]]]:
    with db.session(readonly=True) as session:
        rows = session.execute(
            text(
                "SELECT task_name, queue_name, args FROM procrastinate.procrastinate_jobs "
                "ORDER BY id"
            )
        )
        return [(str(task), str(queue), dict(args)) for task, queue, args in rows]


def scores(db: Database) -> dict[int, int]:
    with db.session(readonly=True) as session:
        return {
            int(score): int(n)
            for score, n in session.execute(
                select(ProspectRow.score, func.count()).group_by(ProspectRow.score)
            )
        }


def times(db: Database) -> dict[int, int]:
    with db.session(readonly=True) as session:
        return {
            int(t): int(n)
            for t, n in session.execute(
                select(RuleMatchRow.times, func.count()).group_by(RuleMatchRow.times)
            )
        }


def test_a_run_queues_a_job_per_slice_and_each_prospect_is_acted_on_once(
    pg: Database, clock: FakeClock
) -> None:
    seed(pg, clock)
    runs = RuleRunService(pg, clock)
    started = runs.start(None, actor="test", slice_size=500)
    assert (started["status"], started["total"], started["slices"]) == ("queued", PROSPECTS, 3)
    assert jobs(pg) == [
        ("leadbridge:rule_slice", "bulk", {"run_id": started["run"], "seq": seq})
        for seq in range(3)
    ]
    run_id = int(started["run"])
    with pytest.raises(ConflictError, match="is queued already"):
        runs.start(None, actor="test")

    # A job killed after its first page: the page's changes and the cursor committed together.
    assert runs._page(run_id, 0, 100, SliceResult()) is True
    middle = runs.show(run_id)
    assert (middle.status, middle.prospects) == ("running", 100)
    runs.run_slice(run_id, 0, page_size=100)  # the job again: from the cursor on
    runs.run_slice(run_id, 0, page_size=100)  # and once more: nothing left
    # Two jobs of one slice at once (a job retried while its first run still goes).
    both = [threading.Thread(target=runs.run_slice, args=(run_id, 1)) for _ in range(2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    runs.run_slice(run_id, 2)

    done = runs.show(run_id)
    acme = PROSPECTS // 2
    assert (done.status, done.prospects, done.matched, done.fired) == (
        "done",
        PROSPECTS,
        acme,
        acme,
    )
    assert done.slices_done == 3 and done.finished_at is not None
    assert scores(pg) == {1: acme, 0: PROSPECTS - acme}
    assert times(pg) == {1: acme}


def test_a_slice_that_gives_up_ends_the_run_failed(pg: Database, clock: FakeClock) -> None:
    seed(pg, clock)
    runs = RuleRunService(pg, clock)
    run_id = int(runs.start("Every acme, every time", actor="test", slice_size=1000)["run"])
    runs.run_slice(run_id, 0)
    runs.fail_slice(run_id, 1, "OperationalError: the database went away")
    runs.fail_slice(run_id, 0, "too late: it is done")  # a done slice stays done
    state = runs.show(run_id)
    assert (state.status, state.slices_done, state.slices_failed) == ("failed", 1, 1)
    assert state.error == "OperationalError: the database went away"
    with pg.session(readonly=True) as session:
        assert [r.id for r in RuleRunRepository(session, clock).recent(None)] == [run_id]


def test_a_paused_rule_or_no_rule_is_not_queued(pg: Database, clock: FakeClock) -> None:
    runs = RuleRunService(pg, clock)
    with pytest.raises(InputError, match="no active rule"):
        runs.start(None, actor="test")
    seed(pg, clock)
    from leadbridge.automation import RuleService

    RuleService(pg, clock).set_active("Every acme, every time", False)
    with pytest.raises(InputError, match="is paused"):
        runs.start("Every acme, every time", actor="test")
    assert jobs(pg) == []
