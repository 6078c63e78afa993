"""The console beside workers (`serve --no-sync` on PostgreSQL): "Run now" queues the rule
run's slices and an upload keeps the file in chunks and queues them, each at once in the
request; the pages show the runs queued, then their progress and outcome as workers write
them. An import by workers is not the server's: a restart leaves it going."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from leadbridge.api import create_app
from leadbridge.automation import RuleService
from leadbridge.automation.rule_runs import RuleRunService
from leadbridge.domain.fields import Origin
from leadbridge.importing.jobs import enqueue_import
from leadbridge.ports import SystemClock
from leadbridge.store.database import Database
from leadbridge.store.import_runs import ImportRunRepository
from leadbridge.store.prospects import ProspectRepository
from leadbridge.web.workers import install_workers
from tests.console import signed_in_client
from tests.integration.store.conftest import (  # noqa: F401  (fixtures)
    _empty,
    postgres_database,
    postgres_server,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(postgres_database: Database) -> Database:  # noqa: F811
    _empty(postgres_database)
    with postgres_database.session() as session:
        session.execute(text("SET LOCAL search_path TO procrastinate, public"))
        session.execute(text("DELETE FROM procrastinate_jobs"))
    return postgres_database


def queue(db: Database):  # type: ignore[no-untyped-def]
    def enqueue(
        data: bytes, *, user_id: int | None, actor: str, filename: str, undelete: bool
    ) -> int:
        run = enqueue_import(
            db, SystemClock(), data, user_id=user_id, actor=actor, filename=filename,
            undelete=undelete,
        )  # fmt: skip
        return run.id

    return enqueue


@pytest.fixture
def client(pg: Database) -> Iterator[TestClient]:
    app = create_app(pg, SystemClock())
    install_workers(app, queue(pg))
    client = signed_in_client(app, pg, "admin")
    yield client
    client.close()


def jobs(db: Database) -> list[str]:
    with db.session(readonly=True) as session:
        rows = session.execute(
            text("SELECT task_name FROM procrastinate.procrastinate_jobs ORDER BY id")
        )
        return [str(row[0]) for row in rows]


def test_run_now_queues_the_slices_and_the_page_follows_the_workers(
    client: TestClient, pg: Database
) -> None:
    clock = SystemClock()
    with pg.session() as session:
        rows = [{"email": f"w{n}@example.com", "score": n % 100} for n in range(700)]
        ProspectRepository(session, clock).bulk_insert(rows, origin=Origin.USER)
    rule = RuleService(pg, clock).add(
        "High",
        criteria=[{"field": "score", "op": "greater", "value": 49}],
        actions=[{"type": "adjust_score", "by": 1000}],
    )
    url = f"/rules/{rule['id']}"
    started = client.post(f"{url}/run")
    page = client.get(started.headers["location"]).text
    assert "700 prospects queued for the workers in 1 slices" in page
    assert "Queued for the workers: 700 prospects" in page
    assert jobs(pg) == ["leadbridge:rule_slice"]
    again = client.post(f"{url}/run")  # not started twice while it is queued
    assert "It is running already" in client.get(again.headers["location"]).text
    assert jobs(pg) == ["leadbridge:rule_slice"]
    runs = RuleRunService(pg, clock)
    [run] = runs.recent()
    runs.run_slice(run.id, 0)  # what a worker does
    done = client.get(f"{url}/run").text
    assert "Ran over 700 prospects:" in done and "350</strong> matched, fired 350 times" in done
    assert 'hx-trigger="every 1s"' not in done
    client.post(f"{url}/run")  # once done, it may run again
    assert jobs(pg) == ["leadbridge:rule_slice"] * 2


def test_an_upload_is_kept_in_chunks_for_the_workers_and_outlives_a_restart(
    client: TestClient, pg: Database
) -> None:
    lines = ["email,company", *(f"u{n}@example.com,Acme" for n in range(2500))]
    upload = {"file": ("people.csv", ("\n".join(lines) + "\n").encode(), "text/csv")}
    sent = client.post("/imports", files=upload)
    assert sent.status_code == 303
    run_id = int(re.findall(r"\d+", sent.headers["location"])[-1])
    assert jobs(pg) == ["leadbridge:import_chunk"] * 3
    with pg.session(readonly=True) as session:
        run = ImportRunRepository(session, SystemClock()).get(run_id)
    assert (run.status, run.total_rows) == ("queued", 2500)
    assert "people.csv" in client.get(sent.headers["location"]).text
    refused = client.post("/imports", files={"file": ("bad.csv", b"email,nope\na@b.co\n")})
    assert refused.status_code == 422 and "Unknown columns: nope" in refused.text
    # A server starting again marks its own imports interrupted, not the workers'.
    with TestClient(create_app(pg, SystemClock()), base_url="http://127.0.0.1"):
        pass
    with pg.session(readonly=True) as session:
        assert ImportRunRepository(session, SystemClock()).get(run_id).status == "queued"
