"""Workers benchmark (issue 11): a push of N changed prospects by K `leadbridge worker`
processes (K = 1, then 4; `--concurrency 1` each) on a fresh PostgreSQL database, against the
sandbox org file-backed in its own process, at 0 ms and at 50 ms per API call.

Each run: a new database and org; the connector (users synced, poll interval 5 s); N new
prospects assigned to a sales rep (N pending pushes in the outbox); then the workers start and
the bench polls the store until no push is pending. Throughput = N / (seconds from the workers'
start until then), worker start-up and the first dispatch (every 5 s) included. API calls are
the sandbox's count over the run: the pushes' and the dispatch's pulls (one each poll), all
counted. Target: <= 0.01 calls per prospect; at 50 ms, 4 workers >= 2.5x the throughput of 1.

    python -m bench.workers [PROSPECTS] [--latency-ms 50] [--workers 1,4]
    python -m bench --only workers --workers-prospects 100000

BENCH_WORKERS_LOGS=DIR keeps each run's worker and sandbox logs in DIR.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from bench.push import _email, _seed_org
from bench.remote import ROOT, RemoteSandbox, connect, store_url
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.store import Database, ProspectRepository, UserRepository, open_database

PROSPECTS = 20_000
LATENCY_MS = 50
WORKERS = (1, 4)
TIMEOUT_S = 900.0
CONDITIONS = (
    "fresh PostgreSQL database per run; sandbox org file-backed in its own process; K "
    "`leadbridge worker --concurrency 1` processes; time from their start until the outbox has "
    "no pending push (start-up and the first dispatch included); calls = the sandbox's count "
    "over the run, pushes and the dispatch's pulls together; poll interval 5 s"
)


def _prospects(db: Database, admin: str, count: int) -> None:
    """`count` new prospects assigned to a sales rep in bulk: one pending push each."""
    rows = (
        {"email": _email(n), "last_name": f"Last{n}", "company": "Bench", "score": n % 100}
        for n in range(count)
    )
    clock = SystemClock()
    with db.session() as session:
        users = UserRepository(session)
        rep = next(u for u in users.list() if u.crm_username and u.crm_username != admin.lower())
        prospects = ProspectRepository(session, clock)
        prospects.bulk_insert(rows, origin=Origin.IMPORT)
        after: int | None = None
        while page := prospects.list(limit=10_000, after_id=after):
            prospects.assign_new_many(
                {p.id: rep.id for p in page}, origin=Origin.AUTOMATION, actor="bench"
            )
            after = page[-1].id


def _pending(url: str) -> int:
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox WHERE kind = 'push' AND done_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else 0


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run(prospects: int, workers: int, latency_ms: int) -> tuple[float, float, int]:
    """Seconds until every push is done, from the workers' start and from the first wave
    done, and the sandbox's API calls over the run."""
    with tempfile.TemporaryDirectory() as tmp:
        org_dir, home = Path(tmp) / "org", Path(tmp) / "home"
        home.mkdir()
        _seed_org(org_dir, 0)
        with store_url("postgres", home) as url, RemoteSandbox(org_dir) as sandbox:
            db = open_database(url)
            try:
                service = connect(db, org_dir, home)
                service.set("poll_interval_seconds", "5")
                _prospects(db, sandbox.credentials["username"], prospects)
            finally:
                db.dispose()
            assert _pending(url) == prospects
            sandbox.latency(latency_ms)
            env = {**os.environ, "LEADBRIDGE_HOME": str(home), "LEADBRIDGE_DATABASE_URL": url}
            env.pop("LEADBRIDGE_SECRET_KEY", None)  # the home's secret.key, as connect wrote it
            logs = [(home / f"worker-{n}.log").open("wb") for n in range(workers)]
            before = sandbox.usage()
            started = time.perf_counter()
            processes = [
                subprocess.Popen(
                    [sys.executable, "-m", "leadbridge.cli.main", "worker", "--concurrency", "1"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                for log in logs
            ]
            first_done: float | None = None  # when the first wave was written
            try:
                while pending := _pending(url):
                    if first_done is None and pending < prospects:
                        first_done = time.perf_counter()
                    if any(p.poll() is not None for p in processes):
                        raise RuntimeError("a worker exited: " + _tail(home))
                    if time.perf_counter() - started > TIMEOUT_S:
                        raise RuntimeError(f"pushes pending after {TIMEOUT_S} s: " + _tail(home))
                    time.sleep(0.2)
                ended = time.perf_counter()
                calls = sandbox.usage() - before
            finally:
                _stop_all(processes)
                for log in logs:
                    log.close()
                if keep := os.environ.get("BENCH_WORKERS_LOGS"):  # a folder to keep them in
                    kept = Path(keep) / f"{workers}x-{latency_ms}ms"
                    kept.mkdir(parents=True, exist_ok=True)
                    for path in [*home.glob("worker-*.log"), *Path(tmp).glob("sandbox-*.log")]:
                        shutil.copy(path, kept / path.name)
            return ended - started, ended - (first_done or started), calls


def _tail(home: Path) -> str:
    return "\n".join(
        f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
        for path in sorted(home.glob("worker-*.log"))
    )


def workers_bench(
    prospects: int = PROSPECTS,
    latency_ms: int = LATENCY_MS,
    counts: tuple[int, ...] = WORKERS,
    *,
    zero: bool = True,
) -> Iterator[tuple[str, float, str, str]]:
    """Each worker count at 0 ms (unless not `zero`) and at `latency_ms` (unless 0)."""
    rates: dict[tuple[int, int], float] = {}
    latencies = [ms for ms in dict.fromkeys((0, latency_ms)) if ms or zero]
    for latency in latencies:
        for workers in counts:
            seconds, steady, calls = _run(prospects, workers, latency)
            label = f"workers: push {prospects:,} prospects, {workers} x 1, {latency} ms/call:"
            rates[(latency, workers)] = prospects / seconds
            yield (f"{label} seconds", seconds, "s", "(report)")
            yield (f"{label} throughput", prospects / seconds, "prospects/s", "(report)")
            yield (f"{label} seconds after the first wave done", steady, "s", "(report)")
            target = f"<= {prospects // 100:,} (0.01 a prospect)"
            yield (f"{label} API calls (sandbox; pushes + pulls)", calls, "calls", target)
            per_1000 = calls * 1000 / prospects
            yield (f"{label} API calls per 1,000 prospects", per_1000, "calls", "<= 10")
    if latency_ms and {1, 4} <= set(counts):
        speedup = rates[(latency_ms, 4)] / rates[(latency_ms, 1)]
        yield (f"workers: speed-up 4 vs 1 at {latency_ms} ms/call", speedup, "x", ">= 2.5")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="push of N prospects by K workers")
    parser.add_argument("prospects", nargs="?", type=int, default=PROSPECTS)
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS, help="besides 0 (0: only 0)")
    parser.add_argument("--workers", default="1,4", help="worker counts, comma-separated")
    parser.add_argument("--no-zero", action="store_true", help="skip the runs at 0 ms")
    args = parser.parse_args()
    counts = tuple(int(k) for k in args.workers.split(","))
    print(CONDITIONS)
    for name, value, unit, target in workers_bench(
        args.prospects, args.latency_ms, counts, zero=not args.no_zero
    ):
        print(f"{name:72} {value:12,.1f}  {unit:12} {target}", flush=True)
