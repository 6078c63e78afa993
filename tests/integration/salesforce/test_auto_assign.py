"""The client and Salesforce's lead assignment rules: every REST write says
`Sforce-Auto-Assign: FALSE` unless it asks for the rule, and a write that asks for it never
goes through Bulk API 2.0 (which runs a rule only when a job names one)."""

from __future__ import annotations

from tests.conftest import NO_DATA, SandboxClient
from tests.integration.salesforce.conftest import client_for


def rule_to(sandbox: SandboxClient, owner: str) -> None:
    sandbox.control(
        "PUT",
        "/assignment-rules",
        {"rules": [{"name": "All", "entries": [{"criteria": [], "owner_id": owner}]}]},
    )


def test_writes_keep_their_owner_unless_they_ask_for_the_rule(sandbox: SandboxClient) -> None:
    sandbox.control(
        "POST",
        "/seed",
        {"users": 2, **NO_DATA},
    )
    org = sandbox.server.backend.org
    reps = [
        str(row[0])
        for row in org.db.conn.execute(
            'SELECT "Id" FROM "User" WHERE "IsActive" = 1 AND "Id" != ? ORDER BY "Id"',
            (org.admin_user_id,),
        )
    ]
    mine, theirs = reps[0], reps[1]
    rule_to(sandbox, theirs)
    client = client_for(sandbox, bulk_threshold=3)
    rows = [{"LastName": f"L{n}", "Company": "Co", "OwnerId": mine} for n in range(2)]
    kept = client.create("Lead", rows)
    updated = client.update("Lead", [{"Id": r.id, "Title": "CTO"} for r in kept])
    assert all(r.success for r in updated)
    bulk = client.create(
        "Lead", [{"LastName": f"B{n}", "Company": "Co", "OwnerId": mine} for n in range(3)]
    )
    ruled = client.create(
        "Lead", [{"LastName": f"R{n}", "Company": "Co"} for n in range(3)], auto_assign=True
    )
    owners = {
        record["Id"]: record["OwnerId"]
        for record in client.retrieve(
            "Lead", [r.id for r in [*kept, *bulk, *ruled] if r.id], ["Id", "OwnerId"]
        )
    }
    assert [owners[r.id] for r in [*kept, *bulk] if r.id] == [mine] * 5
    assert [owners[r.id] for r in ruled if r.id] == [theirs] * 3
    # The three ordinary leads went through Bulk; the rule's three through REST.
    assert len(sandbox.server.backend.bulk.jobs_of("ingest")) == 1
