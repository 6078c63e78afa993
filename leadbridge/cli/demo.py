"""The demo `make run` plays once leadbridge is connected: prospects, a rule, a push, `why`.

It only creates its records when the marketing database has no prospects yet, so a second
`make run` shows the same state instead of piling up data.
"""

from __future__ import annotations

from leadbridge.automation import GroupService, RuleService
from leadbridge.cli import context
from leadbridge.cli.output import console
from leadbridge.cli.why import print_report
from leadbridge.diagnostics.why import WhyService
from leadbridge.marketing.prospects import ProspectService
from leadbridge.sandbox import SandboxServer
from leadbridge.store.prospects import ProspectRepository
from leadbridge.sync.runner import SyncLease

DEMO_GROUP = "Demo sales team"
DEMO_RULE = "Demo: prospects in the United States go to the sales team"
LOCAL_ONLY = "visitor@example.org"
PUSHED = "ada.lovelace@example.com"


DEMO_POLL_SECONDS = "10"


def play_demo(server: SandboxServer, rep_emails: list[str]) -> None:
    db, clock = context.database(), context.clock()
    with db.session(readonly=True) as session:
        if ProspectRepository(session, clock).count():
            show_pull_hint(server)
            return
    context.connector_service().set("poll_interval_seconds", DEMO_POLL_SECONDS)
    GroupService(db, clock).add(DEMO_GROUP, rep_emails[:2])
    RuleService(db, clock).add(
        DEMO_RULE,
        criteria=[{"field": "country", "op": "equals", "value": "United States"}],
        actions=[{"type": "assign_group", "group": DEMO_GROUP}],
    )
    prospects = ProspectService(db, clock)
    for values in _demo_prospects(server):
        prospects.add(values)
    context.connector_service().set_paused(False)
    lease = SyncLease(db, clock)
    with lease.held(wait=60):  # one runner at a time, the demo's push included
        summary = context.push_engine(lease=lease).run_once()
    console.print(
        f"Demo: a rule assigned the United States prospects round-robin and the connector "
        f"pushed them: {summary.pushed} pushed ({summary.created} leads created, "
        f"{summary.matched_contact} matched contacts, {summary.matched_lead} matched leads), "
        f"{summary.api_calls} API calls."
    )
    why = WhyService(db, clock)
    for email in (PUSHED, LOCAL_ONLY):
        print_report(why.explain(email))
    show_pull_hint(server)


def show_pull_hint(server: SandboxServer) -> None:
    """Where to edit the demo lead as a sales rep, to watch the change arrive in leadbridge."""
    db, clock = context.database(), context.clock()
    with db.session(readonly=True) as session:
        prospect = ProspectRepository(session, clock).by_email(PUSHED)
    if prospect is None or prospect.crm_id is None:
        return
    interval = context.connector_service().show()["settings"]["poll_interval_seconds"]
    console.print(
        f"Pull: open {server.instance_url}/sandbox/records/{prospect.crm_id} (the sandbox's "
        f"record page), change the Title as a sales rep, and within {interval} s "
        f"`leadbridge prospects show {PUSHED}` shows it."
    )


def _demo_prospects(server: SandboxServer) -> list[dict[str, str]]:
    """Two people Salesforce already knows (a contact, a lead), two new ones, one left local."""
    conn = server.backend.db.conn
    contact = conn.execute('SELECT "Email" FROM "Contact" WHERE "Email" IS NOT NULL LIMIT 1')
    lead = conn.execute(
        'SELECT "Email" FROM "Lead" WHERE "Email" IS NOT NULL AND "IsConverted" = 0 LIMIT 1'
    )
    known = [str(row[0]) for row in (*contact.fetchall(), *lead.fetchall())]
    people = [{"email": email, "country": "United States"} for email in known]
    people += [
        {"email": PUSHED, "first_name": "Ada", "last_name": "Lovelace",
         "company": "Analytical Engines", "country": "United States"},
        {"email": "grace.hopper@example.com", "first_name": "Grace", "last_name": "Hopper",
         "company": "Compilers Inc", "country": "United States"},
        {"email": LOCAL_ONLY, "first_name": "Vera", "country": "Portugal"},
    ]  # fmt: skip
    return people
