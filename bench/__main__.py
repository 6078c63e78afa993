"""`make bench`: measure the sandbox org at scale and print the figures against their targets."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from bench.cdc import CONDITIONS as CDC_CONDITIONS
from bench.cdc import cdc_bench
from bench.cli import cli_bench
from bench.console_pages import conditions, console_bench
from bench.forms import SECONDS, forms_bench
from bench.imports import ROWS as IMPORT_ROWS
from bench.imports import imports_bench
from bench.latency10m import CONDITIONS as LATENCY10M_CONDITIONS
from bench.latency10m import latency10m_bench
from bench.prospects import prospects_bench
from bench.pull import pull_bench
from bench.push import push_bench
from bench.remote import CONDITIONS as REMOTE_CONDITIONS
from bench.remote import password_token
from bench.sandbox_save import sandbox_save_bench
from bench.store import store_bench
from bench.workers import CONDITIONS as WORKERS_CONDITIONS
from bench.workers import PROSPECTS as WORKERS_PROSPECTS
from bench.workers import workers_bench
from leadbridge.domain.pull import soql_datetime
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.seed import SeedSizes, seed_org


def _session(server: SandboxServer) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(server.ca_file)
    return session


def _token(server: SandboxServer, session: requests.Session) -> str:
    return password_token(session, server.instance_url, server.credentials)


def _median_ms(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def sandbox_bench(leads: int) -> Iterator[tuple[str, float, str, str]]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SandboxServer(SandboxConfig(data_dir=Path(tmp), random_seed=1)) as server,
    ):
        started = time.perf_counter()
        seed_org(server.backend.org, seed=1, sizes=SeedSizes(leads=leads, contacts=1000))
        yield ((f"seed {leads:,} leads", time.perf_counter() - started, "s", "(report)"))
        session = _session(server)
        headers = {"Authorization": f"Bearer {_token(server, session)}"}
        base = f"{server.instance_url}/services/data/v59.0"
        emails = [
            str(row[0])
            for row in server.backend.db.conn.execute(
                'SELECT "Email" FROM "Lead" WHERE _rowid % ? = 0 LIMIT 200', (max(leads // 200, 1),)
            )
        ]
        quoted = ",".join("'" + email.replace("'", "\\'") + "'" for email in emails)
        soql = f"SELECT Id, Email FROM Lead WHERE Email IN ({quoted})"

        def lookup() -> None:
            response = session.get(f"{base}/query", params={"q": soql}, headers=headers)
            assert response.status_code == 200
            assert response.json()["totalSize"] == len(emails)

        yield (("lookup 200 emails (IN)", _median_ms(lookup, 20), "ms", "<= 100 ms"))
        page_median, _, _ = _pages(server, session, headers, base, ordered=False)
        yield (("query page of 2,000 records (unordered, keyset)", page_median, "ms", "<= 300 ms"))
        page_median, first_ms, deep = _pages(server, session, headers, base, ordered=True)
        jump_ms, in_order_ms, retry_ms = deep
        label = f"ORDER BY SystemModstamp, Id (as the pull), {leads:,} leads"
        yield ((f"{label}: first page", first_ms, "ms", "(report)"))
        yield ((f"{label}: pages 2-21, median", page_median, "ms", "<= 300 ms"))
        yield ((f"{label}: 5 pages 90 % deep, in order", in_order_ms, "ms", "<= 300 ms"))
        yield ((f"{label}: page 90 % deep, retried, median", retry_ms, "ms", "<= 300 ms"))
        yield ((f"{label}: locator jumped 90 % deep (OFFSET)", jump_ms, "ms", "(report)"))
        for latency_ms in (0, LATENCY_MS):
            _latency(server, session, latency_ms)
            rate = _composite_rate(session, headers, base, latency_ms)
            label = f"composite insert, 200 per call, {latency_ms} ms/call"
            yield ((label, rate, "records/s", ">= 2,000/s" if not latency_ms else "(report)"))
        _latency(server, session, 0)


LATENCY_MS = 50
NAME = 72  # the benchmark column's width
SANDBOX_CONDITIONS = (
    "org file-backed (SQLite, WAL) in the bench's process, every call over HTTPS through the "
    "full request pipeline; latency = a sandbox fault adding that many ms to every API call"
)
PULL_FIELDS = (
    "Id, Email, FirstName, LastName, Company, Title, Phone, Status, OwnerId, SystemModstamp, "
    "IsDeleted, MasterRecordId"
)


def _latency(server: SandboxServer, session: requests.Session, ms: int) -> None:
    """Every API call `ms` slower (a sandbox latency fault), or no faults."""
    url = f"{server.instance_url}/__sandbox__/faults"
    body = {"kind": "latency", "probability": 1.0, "latency_ms": ms}
    (session.post(url, json=body) if ms else session.delete(url)).raise_for_status()


def _pages(
    server: SandboxServer,
    session: requests.Session,
    headers: dict[str, str],
    base: str,
    *,
    ordered: bool,
) -> tuple[float, float, tuple[float, float, float]]:
    """Median ms of 20 `nextRecordsUrl` pages of 2,000 leads, the first request's ms and
    (ordered only, else 0s) the figures of `_deep_page`, 90 % deep.
    Ordered: the query the pull sends (`queryAll`, a SystemModstamp window, `ORDER BY
    SystemModstamp, Id`, its fields), over every lead."""
    if ordered:
        now = datetime.now(UTC)
        soql = (
            f"SELECT {PULL_FIELDS} FROM Lead "
            f"WHERE SystemModstamp >= {soql_datetime(now - timedelta(days=3650))} "
            f"AND SystemModstamp < {soql_datetime(now + timedelta(days=1))} "
            "ORDER BY SystemModstamp, Id"
        )
        endpoint = "queryAll"
    else:
        soql, endpoint = "SELECT Id, Email FROM Lead", "query"
    started = time.perf_counter()
    first = session.get(f"{base}/{endpoint}", params={"q": soql}, headers=headers)
    first_ms = (time.perf_counter() - started) * 1000
    first.raise_for_status()
    next_url = first.json()["nextRecordsUrl"]
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        page = session.get(server.instance_url + next_url, headers=headers).json()
        timings.append((time.perf_counter() - started) * 1000)
        assert len(page["records"]) == 2000
        next_url = page["nextRecordsUrl"]
    deep = _deep_page(server, session, headers, next_url) if ordered else (0.0, 0.0, 0.0)
    return statistics.median(timings), first_ms, deep


def _deep_page(
    server: SandboxServer, session: requests.Session, headers: dict[str, str], next_url: str
) -> tuple[float, float, float]:
    """The page 90 % deep into the cursor `next_url` belongs to: ms of one read of a locator
    jumped there (a position other than the next: OFFSET), the median ms of the 5 pages read in
    order after it (keyset, as a client paging through reads them), and the median ms of 5
    re-reads of the last of those (a retry: keyset from the remembered page start)."""
    locator, _, _ = next_url.rpartition("-")
    total = int(session.get(server.instance_url + next_url, headers=headers).json()["totalSize"])
    deep = total * 9 // 10 // 2000 * 2000

    def read(url: str) -> str:
        response = session.get(server.instance_url + url, headers=headers).json()
        assert len(response["records"]) == 2000
        return str(response["nextRecordsUrl"])

    started = time.perf_counter()
    url = read(f"{locator}-{deep}")
    jump_ms = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        last, url = url, read(url)
        timings.append((time.perf_counter() - started) * 1000)
    return jump_ms, statistics.median(timings), _median_ms(lambda: read(last), 5)


def _composite_rate(
    session: requests.Session, headers: dict[str, str], base: str, tag: int
) -> float:
    batches = 25
    started = time.perf_counter()
    for batch in range(batches):
        records = [
            {
                "attributes": {"type": "Lead"},
                "LastName": f"Bench{batch}-{i}",
                "Company": "Bench",
                "Email": f"bench{tag}.{batch}.{i}@bench.example",
            }
            for i in range(200)
        ]
        response = session.post(
            f"{base}/composite/sobjects",
            headers=headers,
            json={"allOrNone": False, "records": records},
        )
        assert all(result["success"] for result in response.json())
    return batches * 200 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description="leadbridge benchmarks")
    parser.add_argument("--leads", type=int, default=1_000_000)
    suites_names = (
        "cli",
        "sandbox",
        "store",
        "push",
        "pull",
        "prospects",
        "console",
        "imports",
        "forms",
        "workers",
        "latency10m",  # not in the default run: seeds 10,000,000 prospects once (minutes)
        "sandbox_save",
        "cdc",
    )
    parser.add_argument("--only", choices=suites_names, default=None)
    parser.add_argument(
        "--store", choices=("sqlite", "postgres"), default="sqlite", help="push and pull's store"
    )
    parser.add_argument("--push-prospects", type=int, default=10_000)
    parser.add_argument("--workers-prospects", type=int, default=WORKERS_PROSPECTS)
    parser.add_argument("--pull-contacts", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=IMPORT_ROWS)
    parser.add_argument(
        "--latency-ms", type=int, default=LATENCY_MS, help="the remote-org latency (0: skip)"
    )
    parser.add_argument(
        "--no-default-poll",
        action="store_true",
        help="skip the pull latency at serve's default 120 s poll (about 4 minutes)",
    )
    parser.add_argument(
        "--pull-latency-large",
        action="store_true",
        help="also pull --pull-contacts at the latency (10,000 are pulled at it anyway)",
    )
    parser.add_argument(
        "--forms-seconds", type=float, default=SECONDS, help="How long the form posts last."
    )
    args = parser.parse_args()
    print(f"{'benchmark':{NAME}} {'figure':>12}  {'unit':10} target")
    suites: list[Iterator[tuple[str, float, str, str]]] = []
    if args.only in (None, "cli"):
        suites.append(cli_bench())
    if args.only in (None, "sandbox"):
        print(f"sandbox: {SANDBOX_CONDITIONS}")
        suites.append(sandbox_bench(args.leads))
    if args.only in (None, "store"):
        suites.append(store_bench())
    if args.only in (None, "push", "pull"):
        print(f"push, pull: {REMOTE_CONDITIONS}")
    if args.only in (None, "push"):
        suites.append(push_bench(args.push_prospects, args.latency_ms, args.store))
    if args.only in (None, "pull"):
        default_poll = not args.no_default_poll
        rows = pull_bench(
            args.pull_contacts,
            args.latency_ms,
            args.store,
            serve_default_poll=default_poll,
            large_latency=args.pull_latency_large,
        )
        suites.append(rows)
    if args.only in (None, "prospects"):
        suites.append(prospects_bench())
    if args.only in (None, "console"):
        print(f"console pages: {conditions()}")
        suites.append(console_bench())
    if args.only in (None, "imports"):
        suites.append(imports_bench(args.import_rows))
    if args.only in (None, "forms"):
        suites.append(forms_bench(args.forms_seconds))
    if args.only in (None, "workers"):
        print(f"workers: {WORKERS_CONDITIONS}")
        suites.append(workers_bench(args.workers_prospects, args.latency_ms))
    if args.only in (None, "sandbox_save"):
        suites.append(sandbox_save_bench(args.push_prospects))
    if args.only in (None, "cdc"):
        print(f"cdc: {CDC_CONDITIONS}")
        suites.append(cdc_bench())
    if args.only == "latency10m":
        print(f"latency10m: {LATENCY10M_CONDITIONS}")
        suites.append(latency10m_bench())
    elif args.only is None:
        print(
            "latency10m: not run by default (10,000,000 prospects): "
            "python -m bench --only latency10m"
        )
    for suite in suites:
        for name, value, unit, target in suite:
            shown = f"{value:12,.2f}" if unit == "s" and value < 10 else f"{value:12,.1f}"
            print(f"{name:{NAME}} {shown}  {unit:10} {target}", flush=True)


if __name__ == "__main__":
    main()
