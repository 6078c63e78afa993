"""leadbridge's client within Salesforce's limits, against the strict sandbox: repeated upsert
keys sent in rounds, every query URI under 16 KB, few cursors open at once."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from leadbridge.errors import InputError
from leadbridge.salesforce import SalesforceClient, soql
from tests.conftest import SandboxClient
from tests.integration.salesforce.conftest import client_for, insert_leads, org_usage

KEY = "LeadBridge_Prospect_Id__c"


def leads_by_key(sandbox: SandboxClient) -> dict[str, list[str]]:
    rows = sandbox.server.backend.db.conn.execute(
        f'SELECT "{KEY}", "LastName" FROM "Lead" WHERE "IsDeleted" = 0'
    ).fetchall()
    found: dict[str, list[str]] = {}
    for key, name in rows:
        found.setdefault(str(key), []).append(str(name))
    return found


@pytest.mark.parametrize("bulk", [False, True], ids=["composite", "bulk"])
def test_an_upsert_repeating_a_key_sends_it_in_rounds(sandbox: SandboxClient, bulk: bool) -> None:
    records = [{KEY: f"key-{i}", "LastName": f"N{i}", "Company": "Co"} for i in range(250)]
    records[120] = {KEY: "KEY-0", "LastName": "Again", "Company": "Co"}  # same call as key-0
    records.append({KEY: "key-0", "LastName": "Last", "Company": "Co"})
    with client_for(sandbox, bulk_threshold=2 if bulk else None) as client:
        results = client.upsert("Lead", KEY, records)
    assert [result.errors for result in results if not result.success] == []
    assert [result.created for result in results] == [i != 120 for i in range(250)] + [False]
    assert len({results[0].id, results[120].id, results[250].id}) == 1
    in_org = leads_by_key(sandbox)
    assert in_org["key-0"] == ["Last"]
    assert len(in_org) == 249 and all(len(names) == 1 for names in in_org.values())


def test_upsert_rounds_keep_request_order() -> None:
    from leadbridge.salesforce.client import upsert_rounds

    records = [{KEY: "a"}, {KEY: "b"}, {KEY: "A "}, {KEY: None}, {KEY: "a"}, {KEY: "c"}]
    assert upsert_rounds(records, KEY) == [[0, 1, 3, 5], [2], [4]]


def long_emails(count: int) -> list[str]:
    """Emails of 70-odd characters with SOQL metacharacters and non-ASCII letters, which
    expand 3 to 9 times when percent-encoded."""
    marks = ["o'neil", "back\\slash", "per%cent", "plus+sign", "amp&and", "zoë", "日本語"]
    return [
        f"{marks[i % len(marks)]}.{i:05d}.{'x' * (40 - i % 13)}@long-domain-example.com"
        for i in range(count)
    ]


def test_3000_long_emails_are_looked_up_under_the_uri_limit(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    emails = long_emails(3000)
    insert_leads(sandbox, [{"Email": email} for email in emails])
    client.connect()
    before = org_usage(sandbox)
    found = client.find_by_emails("Lead", [email.upper() for email in emails], ["Email"])
    assert sorted(record["Email"] for record in found) == sorted(emails)
    assert client.skipped == []
    assert org_usage(sandbox) - before <= 20  # composite calls of 5 statements
    # the sandbox refuses URIs over 16,384 bytes (414): getting here means none was


def test_one_statement_just_under_the_uri_limit_is_sent_as_a_get(sandbox: SandboxClient) -> None:
    limits = soql.StatementLimits(max_url_chars=14_000, max_values=10_000)
    emails = long_emails(400)
    insert_leads(sandbox, [{"Email": email} for email in emails])
    plan = soql.in_statements("SELECT Id, Email FROM Lead WHERE ", "Email", emails, limits=limits)
    first = plan.statements[0]
    assert 13_700 < len(quote_plus(first)) <= 14_000
    with client_for(sandbox, statement_limits=limits) as client:
        found = list(client.query(first))
    assert len(found) == first.count("@")


def test_a_statement_budget_past_the_uri_limit_is_refused(sandbox: SandboxClient) -> None:
    with pytest.raises(ValueError, match="16,384-byte request URI limit, headers included"):
        client_for(sandbox, statement_limits=soql.StatementLimits(max_url_chars=15_000))


def test_a_query_too_long_for_a_uri_is_refused_before_sending(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    client.connect()
    before = org_usage(sandbox)
    names = ", ".join(f"Field_{i:04d}__c" for i in range(1200))
    with pytest.raises(InputError, match="16,384 bytes"):
        list(client.query(f"SELECT {names} FROM Lead"))
    assert org_usage(sandbox) == before


def test_paging_many_queries_keeps_few_cursors_open(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    insert_leads(sandbox, [{"Email": f"p{i}@example.com"} for i in range(400)])
    sandbox.control("POST", "/queries", {"max_batch_size": 10})
    statement = "SELECT Id, Email FROM Lead"
    outer = client.query(statement)
    for count, _ in enumerate(outer):
        if count % 40 == 0:  # other queries read to the end while the first is still paging
            assert len(list(client.query(statement))) == 400
            wanted = [f"p{i}@example.com" for i in range(400)]
            found = client.find_by_emails("Lead", wanted, ["Email"])
            assert len(found) == 400
    report = sandbox.control("GET", "/queries")
    assert report["released"] == 0
    assert report["peak_open_per_user"] <= 6
