"""Sandbox CPU per pushed record: the push's calls handled in-process by a file-backed org.

The push bench runs the sandbox in its own process on the same cores as the workers, so the
sandbox's CPU per record bounds how far the workers scale. This bench measures that CPU alone
(no HTTP, no client): for each 200 prospects, one Composite call with the email lookups
(Contact, then unconverted Lead, `WHERE Email IN (...)`), one sObject Collections update of
the matched contacts, one of the matched leads, and one upsert by LeadBridge_Prospect_Id__c
of the new leads (a quarter, a quarter and a half of the prospects, as in bench/push.py).
Prints the CPU milliseconds (`time.process_time`) per prospect and for all of them.

    python -m bench.sandbox_save [PROSPECTS] [--profile [--cumulative]]
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.push import NOTHING_BUT_USERS, _email
from leadbridge.sandbox import SandboxConfig
from leadbridge.sandbox.backend import SandboxBackend
from leadbridge.sandbox.dispatch import ApiRequest
from leadbridge.sandbox.seed import seed_org

PROSPECTS = 10_000
BATCH = 200
VERSION = "59.0"
KEY = "LeadBridge_Prospect_Id__c"
FIELDS = "Id, Email, FirstName, LastName, Company, Title, OwnerId, LeadBridge_Prospect_Id__c"


def _seeded(data_dir: Path, count: int) -> SandboxBackend:
    backend = SandboxBackend(SandboxConfig(data_dir=data_dir, random_seed=1))
    org = backend.org
    seed_org(org, seed=1, sizes=NOTHING_BUT_USERS)
    quarter = count // 4
    org.insert_raw("Contact", [{"LastName": f"C{n}", "Email": _email(n)} for n in range(quarter)])
    org.insert_raw(
        "Lead",
        [
            {"LastName": f"L{n}", "Company": "Bench", "Email": _email(n)}
            for n in range(quarter, 2 * quarter)
        ],
    )
    return backend


def _call(backend: SandboxBackend, method: str, path: str, body: Any) -> Any:
    request = ApiRequest(
        backend=backend,
        method=method,
        path=path,
        version=VERSION,
        query={},
        headers={},
        body=json.dumps(body).encode(),
        user_id=backend.org.admin_user_id,
    )
    reply = backend.router.dispatch(request)
    if reply.status >= 300:
        raise RuntimeError(f"{method} {path}: {reply.status} {reply.body}")
    reply.encoded()
    return reply.body


def _lookup(backend: SandboxBackend, numbers: range) -> dict[str, dict[str, str]]:
    emails = ", ".join(f"'{_email(n)}'" for n in numbers)
    subrequests = [
        {
            "method": "GET",
            "url": f"/services/data/v{VERSION}/query?q=SELECT {FIELDS.replace(', Company', '')} "
            f"FROM Contact WHERE Email IN ({emails})",
            "referenceId": "contacts",
        },
        {
            "method": "GET",
            "url": f"/services/data/v{VERSION}/query?q=SELECT {FIELDS} FROM Lead "
            f"WHERE Email IN ({emails}) AND IsConverted = false",
            "referenceId": "leads",
        },
    ]
    body = _call(backend, "POST", "/composite", {"compositeRequest": subrequests})
    found: dict[str, dict[str, str]] = {}
    for output in body["compositeResponse"]:
        for record in output["body"]["records"]:
            found[record["Email"]] = {"Id": record["Id"], "type": record["attributes"]["type"]}
    return found


def _batch(backend: SandboxBackend, numbers: range) -> None:
    found = _lookup(backend, numbers)
    updates: dict[str, list[dict[str, Any]]] = {"Contact": [], "Lead": []}
    creates = []
    for n in numbers:
        values = {"FirstName": f"First{n}", "LastName": f"Last{n}", "Title": "Engineer"}
        match = found.get(_email(n))
        if match is None:
            key = f"00000000-0000-0000-0000-{n:012d}"
            creates.append(
                {"attributes": {"type": "Lead"}, KEY: key, "Email": _email(n), "Company": "Bench"}
                | values
            )
        else:
            updates[match["type"]].append(
                {"attributes": {"type": match["type"]}, "Id": match["Id"]} | values
            )
    for records in updates.values():
        if records:
            _call(backend, "PATCH", "/composite/sobjects", {"allOrNone": False, "records": records})
    if creates:
        path = f"/composite/sobjects/Lead/{KEY}"
        results = _call(backend, "PATCH", path, {"allOrNone": False, "records": creates})
        failed = [result for result in results if not result["success"]]
        if failed:
            raise RuntimeError(f"{len(failed)} upserts failed: {failed[0]}")


def run(prospects: int, *, profile: bool = False) -> float:
    """CPU milliseconds the sandbox spends per prospect pushed."""
    with tempfile.TemporaryDirectory() as tmp:
        backend = _seeded(Path(tmp) / "org", prospects)
        try:
            profiler = cProfile.Profile() if profile else None
            started = time.process_time()
            if profiler:
                profiler.enable()
            for start in range(0, prospects, BATCH):
                _batch(backend, range(start, min(start + BATCH, prospects)))
            if profiler:
                profiler.disable()
            spent = time.process_time() - started
        finally:
            backend.close()
    if profiler:
        order = "cumulative" if "--cumulative" in sys.argv else "tottime"
        pstats.Stats(profiler).sort_stats(order).print_stats(45)
    per_record = spent * 1000 / prospects
    print(f"{prospects} prospects: {spent * 1000:.0f} ms CPU, {per_record:.3f} ms per prospect")
    return per_record


def sandbox_save_bench(prospects: int) -> Iterator[tuple[str, float, str, str]]:
    """`python -m bench --only sandbox_save`: the figure for the table."""
    yield ("sandbox CPU per pushed prospect", run(prospects), "ms", "(report)")


def main(argv: list[str]) -> None:
    numbers = [int(arg) for arg in argv if arg.isdigit()]
    run(numbers[0] if numbers else PROSPECTS, profile="--profile" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
