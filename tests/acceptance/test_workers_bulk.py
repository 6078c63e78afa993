"""A rule run and an import by workers on PostgreSQL, as a user runs them: `rules run
--workers` and `import --workers` queue their slices and chunks; `leadbridge worker`
processes take them; one worker is SIGKILLed while it holds a slice, another while it holds a
chunk. The killed jobs are retried (`retry_stalled`) and the run and the import end with each
prospect handled exactly once: a rule that repeats at once fired once per matching prospect
(score 1, one firing in rule_matches), each line of the file reported once, one prospect per
email."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from leadbridge.cli import context
from leadbridge.domain.fields import Origin
from leadbridge.store import ProspectRepository
from tests.acceptance.test_connect_org import Cli
from tests.acceptance.test_workers import (  # noqa: F401  (fixtures)
    Processes,
    _eventually,
    cli,
    postgres_url,
)
from tests.conftest import SandboxClient

SEEDED = 16_000  # 4 slices of 5,000
IMPORTED = 3_000  # 3 chunks of 1,000
RULE = "Bulk score"


def _sql(database_url: str, query: str) -> list[tuple[Any, ...]]:
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as connection:
        return list(connection.execute(query).fetchall())


def _doing(database_url: str, task: str) -> int:
    rows = _sql(
        database_url,
        "SELECT count(*) FROM procrastinate.procrastinate_jobs "
        f"WHERE status = 'doing' AND task_name = 'leadbridge:{task}'",
    )
    return int(rows[0][0])


def _seed() -> None:
    rows = [
        {"email": f"b{n}@bulk.example.com", "company": "BulkCo" if n % 4 else "OtherCo"}
        for n in range(SEEDED)
    ]
    with context.database().session() as session:
        ProspectRepository(session, context.clock()).bulk_insert(rows, origin=Origin.USER)


def _started(procs: Processes, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "leadbridge.cli.main", *args],
        cwd=procs.cwd,
        env=procs.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process: subprocess.Popen[str], procs: Processes) -> Any:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out + err + procs.logs()
    return json.loads(out)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_a_rule_run_and_an_import_by_workers_through_killed_workers(
    cli: Cli,  # noqa: F811
    sandbox: SandboxClient,
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    _seed()
    cli(
        "rules", "add", RULE, "--when", "company equals BulkCo", "--adjust-score", "1",
        "--repeat",
    )  # fmt: skip
    context.reset()
    procs = Processes(tmp_path / ".leadbridge", postgres_url)
    try:
        procs.start("worker-sync", "worker", "--queue", "sync", "--queue", "push")
        first = procs.start("worker-1", "worker", "--queue", "bulk", "--concurrency", "1")
        second = procs.start("worker-2", "worker", "--queue", "bulk", "--concurrency", "1")

        # The rule run: killed while both bulk workers hold a slice (each mid-way).
        running = _started(procs, "rules", "run", RULE, "--workers", "--json")
        _eventually(
            lambda: _doing(postgres_url, "rule_slice") == 2, 120, "both workers on a slice", procs
        )
        first.send_signal(signal.SIGKILL)
        first.wait()
        run = _finished(running, procs)
        matching = SEEDED * 3 // 4
        assert (run["status"], run["prospects"], run["slices_done"]) == ("done", SEEDED, 4), run
        assert (run["matched"], run["fired"], run["failed"]) == (matching, matching, 0), run
        scores = _sql(postgres_url, "SELECT score, count(*) FROM prospects GROUP BY score")
        assert dict(scores) == {1: matching, 0: SEEDED - matching}
        firings = _sql(
            postgres_url, "SELECT times, count(*) FROM automation_rule_matches GROUP BY times"
        )
        assert dict(firings) == {1: matching}

        # The import: a slow org, so that a chunk is in flight when its worker is killed.
        sandbox.control("POST", "/faults", {"kind": "latency", "latency_ms": 300, "probability": 1})
        path = tmp_path / "bulk.csv"
        emails = [f"i{n}@imported.example.com" for n in range(IMPORTED)]
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["email", "last_name", "company"])
            writer.writerows([email, f"I{n}", "Imported Co"] for n, email in enumerate(emails))
        importing = _started(procs, "import", str(path), "--workers", "--json")
        _eventually(
            lambda: _doing(postgres_url, "import_chunk") == 1, 120, "a chunk in flight", procs
        )
        second.send_signal(signal.SIGKILL)
        second.wait()
        sandbox.control("DELETE", "/faults")
        procs.start("worker-3", "worker", "--queue", "bulk")
        report = _finished(importing, procs)
        assert report["counts"] == {"created": IMPORTED}, report["counts"]
        assert [r["line"] for r in report["results"]] == list(range(2, IMPORTED + 2))
        imported = _sql(
            postgres_url,
            "SELECT count(*), count(DISTINCT lower(email)) FROM prospects "
            "WHERE email LIKE '%@imported.example.com'",
        )
        assert imported == [(IMPORTED, IMPORTED)]
        assert _sql(postgres_url, "SELECT status, rows_done FROM import_runs") == [
            ("done", IMPORTED)
        ]
        # The killed workers' jobs were given back by `retry_stalled`: none stays "doing".
        _eventually(
            lambda: (
                _sql(
                    postgres_url,
                    "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status = 'doing' "
                    "AND task_name IN ('leadbridge:rule_slice', 'leadbridge:import_chunk')",
                )
                == [(0,)]
            ),
            60,
            "no slice or chunk left doing",
            procs,
        )
    finally:
        procs.stop()
        sandbox.control("DELETE", "/faults")
