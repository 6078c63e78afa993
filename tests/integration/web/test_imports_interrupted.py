"""An import cut short by a restart does not say "running" for ever: when the console app
starts, runs left queued or running are marked interrupted, and their page says what to do."""

from __future__ import annotations

from fastapi.testclient import TestClient

from leadbridge.api import create_app
from leadbridge.ports import SystemClock
from leadbridge.store.database import Database
from leadbridge.store.import_runs import ImportRunRepository
from tests.console import add_user, sign_in


def add_run(db: Database, status: str) -> int:
    clock = SystemClock()
    with db.session() as session:
        runs = ImportRunRepository(session, clock)
        run = runs.add(user_id=None, actor="ann@example.com", filename="f.csv", undelete=False)
        if status == "running":
            runs.progress(run.id, 120, 1000)
        elif status == "done":
            runs.finish(run.id, {"counts": {"created": 1}, "results": []})
        return run.id


def status_of(db: Database, run_id: int) -> str:
    with db.session(readonly=True) as session:
        return ImportRunRepository(session, SystemClock()).get(run_id).status


def test_runs_left_unfinished_are_interrupted_when_the_app_starts(console_db: Database) -> None:
    running, queued, done = (add_run(console_db, s) for s in ("running", "queued", "done"))
    app = create_app(console_db, SystemClock())
    assert status_of(console_db, running) == "running"  # building the app changes nothing
    add_user(console_db, "marketing")
    with TestClient(app, follow_redirects=False, base_url="http://127.0.0.1") as client:
        assert status_of(console_db, running) == "interrupted"
        assert status_of(console_db, queued) == "interrupted"
        assert status_of(console_db, done) == "done"
        sign_in(client, "marketing@console.example.com")
        page = client.get(f"/imports/{running}")
        assert page.status_code == 200
        assert "Interrupted" in page.text
        assert "the server stopped during this import; upload the file again" in page.text.lower()
        assert "rows already imported are recognised" in page.text
        assert 'hx-trigger="every 1s"' not in page.text  # the page stops polling
        assert "Interrupted" in client.get("/imports").text
