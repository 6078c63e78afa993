"""`make bench`: measure the sandbox org at scale and print the figures against their targets."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

from bench.cli import cli_bench
from bench.console_pages import conditions, console_bench
from bench.forms import SECONDS, forms_bench
from bench.prospects import prospects_bench
from bench.pull import pull_bench
from bench.push import push_bench
from bench.store import store_bench
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.seed import SeedSizes, seed_org


def _session(server: SandboxServer) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(server.ca_file)
    return session


def _token(server: SandboxServer, session: requests.Session) -> str:
    creds = server.credentials
    response = session.post(
        f"{server.instance_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "username": creds["username"],
            "password": creds["password"] + creds["security_token"],
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


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
        first = session.get(
            f"{base}/query", params={"q": "SELECT Id, Email FROM Lead"}, headers=headers
        ).json()
        page_urls = [first["nextRecordsUrl"]]
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            page = session.get(server.instance_url + page_urls[-1], headers=headers).json()
            timings.append((time.perf_counter() - started) * 1000)
            assert len(page["records"]) == 2000
            page_urls.append(page["nextRecordsUrl"])
        yield (("query page of 2,000 records", statistics.median(timings), "ms", "<= 300 ms"))
        batches = 25
        started = time.perf_counter()
        for batch in range(batches):
            records = [
                {
                    "attributes": {"type": "Lead"},
                    "LastName": f"Bench{batch}-{i}",
                    "Company": "Bench",
                    "Email": f"bench{batch}.{i}@bench.example",
                }
                for i in range(200)
            ]
            response = session.post(
                f"{base}/composite/sobjects",
                headers=headers,
                json={"allOrNone": False, "records": records},
            )
            assert all(result["success"] for result in response.json())
        rate = batches * 200 / (time.perf_counter() - started)
        yield (("composite insert, 200 per call", rate, "records/s", ">= 2,000/s"))


def main() -> None:
    parser = argparse.ArgumentParser(description="leadbridge benchmarks")
    parser.add_argument("--leads", type=int, default=1_000_000)
    suites_names = ("cli", "sandbox", "store", "push", "pull", "prospects", "console", "forms")
    parser.add_argument("--only", choices=suites_names, default=None)
    parser.add_argument(
        "--forms-seconds", type=float, default=SECONDS, help="How long the form posts last."
    )
    args = parser.parse_args()
    print(f"{'benchmark':44} {'figure':>12}  {'unit':10} target")
    suites: list[Iterator[tuple[str, float, str, str]]] = []
    if args.only in (None, "cli"):
        suites.append(cli_bench())
    if args.only in (None, "sandbox"):
        suites.append(sandbox_bench(args.leads))
    if args.only in (None, "store"):
        suites.append(store_bench())
    if args.only in (None, "push"):
        suites.append(push_bench())
    if args.only in (None, "pull"):
        suites.append(pull_bench())
    if args.only in (None, "prospects"):
        suites.append(prospects_bench())
    if args.only in (None, "console"):
        print(f"console pages: {conditions()}")
        suites.append(console_bench())
    if args.only in (None, "forms"):
        suites.append(forms_bench(args.forms_seconds))
    for suite in suites:
        for name, value, unit, target in suite:
            shown = f"{value:12,.2f}" if unit == "s" and value < 10 else f"{value:12,.1f}"
            print(f"{name:44} {shown}  {unit:10} {target}", flush=True)


if __name__ == "__main__":
    main()
