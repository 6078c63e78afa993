"""Push benchmark: 10,000 new assigned prospects to a sandbox org in another process, a
quarter of them matching existing contacts and a quarter existing leads; then a second run
with nothing changed. At 0 ms and at an injected latency per API call (a remote org).
Prints the API calls (the sandbox's count, equal to the client's), the prospects pushed per
second and the peak RSS of the pushing process. Conditions: `bench.remote.CONDITIONS`.

    python -m bench.push [PROSPECTS] [LATENCY_MS]
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.remote import STORES, RemoteSandbox, connect, counted_run, store_url
from leadbridge.domain.fields import Origin
from leadbridge.ports import SystemClock
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.seed import SeedSizes, seed_org
from leadbridge.store import Database, ProspectRepository, UserRepository, open_database

PROSPECTS = 10_000
LATENCY_MS = 50
NOTHING_BUT_USERS = SeedSizes(
    users=2, accounts=0, contacts=0, leads=0, opportunities=0, campaigns=0,
    campaign_members=0, subscriptions=0,
)  # fmt: skip


def _email(number: int) -> str:
    return f"person.{number}@bench{number % 97}.example.com"


def _seed_org(org_dir: Path, count: int) -> None:
    """Users, then contacts for the first quarter of the emails and leads for the second,
    written to the org's file before the sandbox process starts."""
    with SandboxServer(SandboxConfig(data_dir=org_dir, random_seed=1)) as server:
        org = server.backend.org
        seed_org(org, seed=1, sizes=NOTHING_BUT_USERS)
        quarter = count // 4
        org.insert_raw(
            "Contact", [{"LastName": f"C{n}", "Email": _email(n)} for n in range(quarter)]
        )
        org.insert_raw(
            "Lead",
            [
                {"LastName": f"L{n}", "Company": "Bench", "Email": _email(n)}
                for n in range(quarter, 2 * quarter)
            ],
        )


def _prospects(db: Database, admin: str, count: int) -> None:
    """New prospects, each assigned to a sales rep (so each has a push in the outbox)."""
    rows: Any = (
        {"email": _email(n), "first_name": f"First{n}", "last_name": f"Last{n}",
         "company": "Bench", "job_title": "Engineer", "score": n % 100}
        for n in range(count)
    )  # fmt: skip
    clock = SystemClock()
    with db.session() as session:
        users = UserRepository(session)
        rep = next(u for u in users.list() if u.crm_username and u.crm_username != admin.lower())
        prospects = ProspectRepository(session, clock)
        prospects.bulk_insert(rows, origin=Origin.IMPORT)
        for prospect in prospects.list(limit=count):
            prospects.assign(prospect.id, rep.id, origin=Origin.AUTOMATION, actor="bench")


def _run(prospects: int, latency_ms: int, store: str) -> Iterator[tuple[str, float, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        org_dir, home = Path(tmp) / "org", Path(tmp) / "home"
        home.mkdir()
        _seed_org(org_dir, prospects)
        with store_url(store, home) as url, RemoteSandbox(org_dir) as sandbox:
            db = open_database(url)
            try:
                connect(db, org_dir, home)
                _prospects(db, sandbox.credentials["username"], prospects)
            finally:
                db.dispose()
            sandbox.latency(latency_ms)
            first = counted_run(sandbox, "push", url, home)
            summary = first["summary"]
            assert summary["pushed"] == prospects, summary
            quarter = prospects // 4
            assert (summary["matched_contact"], summary["matched_lead"]) == (quarter, quarter)
            label = f"push {prospects:,} new prospects, {STORES[store]}, {latency_ms} ms/call:"
            calls = first["sandbox_calls"]
            yield (f"{label} API calls (sandbox = client)", calls, "calls", "<= 100")
            yield (f"{label} throughput", prospects / first["seconds"], "prospects/s", "(report)")
            yield (f"{label} peak RSS", first["peak_rss_mib"], "MiB", "(report)")
            second = counted_run(sandbox, "push", url, home)
            yield (
                f"push second run, nothing changed, {STORES[store]}, {latency_ms} ms/call: calls",
                second["sandbox_calls"],
                "calls",
                "<= 2",
            )


def push_bench(
    prospects: int = PROSPECTS, latency_ms: int = LATENCY_MS, store: str = "sqlite"
) -> Iterator[tuple[str, float, str, str]]:
    yield from _run(prospects, 0, store)
    if latency_ms:
        yield from _run(prospects, latency_ms, store)


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else PROSPECTS
    latency = int(sys.argv[2]) if len(sys.argv) > 2 else LATENCY_MS
    store = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
    for name, value, unit, target in push_bench(size, latency, store):
        print(f"{name:64} {value:12,.1f}  {unit:12} {target}", flush=True)
