"""Batched reads against the sandbox org: lookups by email, retrieve, queries, changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadbridge.salesforce import SalesforceClient, soql
from tests.conftest import SandboxClient
from tests.integration.salesforce.conftest import client_for, insert_leads, org_usage


def test_a_lookup_of_5000_emails_takes_at_most_10_calls(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    insert_leads(sandbox, [{"Email": f"lead{i}@example.com"} for i in range(5000)])
    wanted = [f"  LEAD{i}@Example.com " for i in range(5000)]  # any case, untrimmed
    wanted += [f"lead{i}@example.com" for i in range(100)]  # duplicates
    wanted += [f"nobody{i}@example.com" for i in range(50)]  # no match
    client.connect()
    before = org_usage(sandbox)
    found = client.find_by_emails("Lead", wanted, ["Email", "LastName"])
    calls = org_usage(sandbox) - before
    assert calls <= 10
    assert client.usage().calls_by_kind["query"] == calls
    assert sorted(record["Email"] for record in found) == sorted(
        f"lead{i}@example.com" for i in range(5000)
    )
    assert set(found[0]) == {"Id", "Email", "LastName"}


def test_lookups_page_when_an_email_matches_many_records(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    insert_leads(sandbox, [{"Email": "shared@example.com"} for _ in range(2500)])
    found = client.find_by_emails("Lead", ["shared@example.com", "other@example.com"], ["Email"])
    assert len(found) == 2500
    assert len({record["Id"] for record in found}) == 2500
    assert client.usage().calls_by_kind == {"login": 1, "query": 1, "query_more": 1}


def test_emails_with_quotes_and_backslashes_are_found(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    tricky = ["o'brien@example.com", "back\\slash@example.com", 'dq"uote@example.com']
    insert_leads(sandbox, [{"Email": email} for email in [*tricky, "plain@example.com"]])
    found = client.find_by_emails("Lead", [email.upper() for email in tricky], ["Email"])
    assert sorted(record["Email"] for record in found) == sorted(tricky)
    statement = f"SELECT Id, Email FROM Lead WHERE {soql.in_clause('Email', tricky)}"
    assert len(list(client.query(statement))) == 3
    escaped = f"SELECT Email FROM Lead WHERE Email = {soql.quote(tricky[1])}"
    assert [record["Email"] for record in client.query(escaped)] == [tricky[1]]


def test_lookup_with_an_extra_condition_and_skipped_emails(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    insert_leads(
        sandbox,
        [
            {"Email": "a@example.com", "Company": "Keep"},
            {"Email": "b@example.com", "Company": "Drop"},
        ],
    )
    too_long = "x" * 4001 + "@example.com"
    found = client.find_by_emails(
        "Lead",
        ["a@example.com", "b@example.com", too_long],
        ["Company"],
        where=f"Company = {soql.quote('Keep')}",
    )
    assert [record["Email"] for record in found] == ["a@example.com"]
    assert [skip.value for skip in client.skipped] == [too_long]


def test_retrieve_by_ids_in_calls_of_2000_dropping_missing_ones(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    ids = insert_leads(sandbox, [{"Email": f"r{i}@example.com"} for i in range(2500)])
    gone = ids[0]
    sandbox.control("DELETE", f"/records/Lead/{gone}")
    missing = "00Q5g00000ZZZZZEAA"
    client.connect()
    before = org_usage(sandbox)
    records = client.retrieve("Lead", [*ids, missing, ids[5]], ["Email"])
    assert org_usage(sandbox) - before == 2
    assert [record["Id"] for record in records] == ids[1:]
    assert records[0] == {"Id": ids[1], "Email": "r1@example.com"}


def test_query_reads_every_page(sandbox: SandboxClient, client: SalesforceClient) -> None:
    insert_leads(sandbox, [{"Email": f"q{i}@example.com"} for i in range(4500)])
    records = list(client.query("SELECT Id, Owner.Username FROM Lead"))
    assert len(records) == 4500
    assert records[0]["Owner"] == {"Username": sandbox.credentials["username"]}
    assert client.usage().calls_by_kind == {"login": 1, "query": 1, "query_more": 2}


def test_changed_reads_a_system_modstamp_window_in_order(
    sandbox: SandboxClient, client: SalesforceClient
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    early = insert_leads(sandbox, [{"Email": "early@example.com"}])
    sandbox.control("POST", "/clock", {"advance_seconds": 60})
    late = insert_leads(sandbox, [{"Email": "late@example.com"}, {"Email": "later@example.com"}])
    middle = start + timedelta(seconds=30)
    first = list(client.changed("Lead", ["Email"], start, middle))
    assert [record["Id"] for record in first] == early
    second = list(client.changed("Lead", ["Email"], middle, middle + timedelta(hours=1)))
    assert [record["Id"] for record in second] == sorted(late)
    assert set(second[0]) == {"Id", "SystemModstamp", "Email"}


def test_deleted_and_updated_windows(sandbox: SandboxClient, client: SalesforceClient) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    kept, removed = insert_leads(sandbox, [{"Email": "k@example.com"}, {"Email": "d@example.com"}])
    sandbox.control("DELETE", f"/records/Lead/{removed}")
    sandbox.control("POST", "/clock", {"advance_seconds": 120})
    end = datetime.now(UTC) + timedelta(minutes=5)
    window = client.deleted("Lead", start, end)
    assert [record.id for record in window.records] == [removed]
    assert window.records[0].deleted_at.tzinfo is not None
    assert window.earliest_available <= window.latest_covered  # the org was reset just now
    assert window.latest_covered <= end
    ids, latest = client.updated("Lead", start, end)
    assert ids == [kept]
    assert latest == window.latest_covered


def test_users_active_or_all(sandbox: SandboxClient, client: SalesforceClient) -> None:
    nothing_else = dict.fromkeys(
        [
            "leads",
            "accounts",
            "contacts",
            "opportunities",
            "campaigns",
            "campaign_members",
            "subscriptions",
        ],
        0,
    )
    sandbox.control("POST", "/seed", {"users": 3, **nothing_else})
    active = client.users()
    everyone = client.users(active_only=False)
    assert len(active) == 4
    assert len(everyone) == 5
    assert all(user.active for user in active)
    assert [user.active for user in everyone].count(False) == 1
    assert all(user.email and user.username and user.name for user in everyone)


def test_describe_and_custom_objects(client: SalesforceClient) -> None:
    described = client.describe(["Lead", "Contact", "Nope__c", "Subscription__c"])
    assert set(described) == {"Lead", "Contact", "Subscription__c"}
    lead = described["Lead"]
    assert lead.name == "Lead" and not lead.custom
    email = lead.field("email")
    assert email is not None and email.type == "email"
    last_name = lead.fields["LastName"]
    assert last_name.required_on_create
    prospect_id = lead.fields["LeadBridge_Prospect_Id__c"]
    assert prospect_id.external_id and prospect_id.unique and prospect_id.length == 36
    plan = described["Subscription__c"].fields["Plan__c"]
    assert plan.restricted_picklist and plan.picklist_values == ("Free", "Pro", "Enterprise")
    contact = described["Contact"].fields["AccountId"]
    assert contact.reference_to == ("Account",) and contact.relationship_name == "Account"
    assert client.custom_objects() == ["Subscription__c"]


def test_a_lookup_needing_many_statements_sends_at_most_5_queries_per_composite_call(
    sandbox: SandboxClient,
) -> None:
    """The sandbox refuses a composite request with more than 5 queries, as Salesforce does;
    12 statements go out as composite calls of 5, 5 and 2."""
    wanted = [f"many{i}@example.com" for i in range(12)]
    insert_leads(sandbox, [{"Email": email} for email in wanted])
    limits = soql.StatementLimits(max_values=1)
    with client_for(sandbox, statement_limits=limits) as client:
        before = org_usage(sandbox)
        found = client.find_by_emails("Lead", wanted, ["Email"])
        assert sorted(record["Email"] for record in found) == sorted(wanted)
        assert org_usage(sandbox) - before == 3
