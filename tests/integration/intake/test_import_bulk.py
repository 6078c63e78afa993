"""An import creates its new prospects in bulk per batch (`Intake.create_many`) with what the
row-by-row path gave: linked to the Salesforce record with its values, assigned from its owner,
the agreed values remembered (no echo on the next push), audited; a later row with the same
email updates the prospect created by an earlier one; bad rows skipped alone."""

from __future__ import annotations

from leadbridge.domain.fields import Origin
from leadbridge.importing import import_csv
from leadbridge.store import AuditRepository, OutboxRepository, ProspectRepository
from leadbridge.store.campaigns import MarketingCampaignRepository
from tests.integration.intake.test_intake_engine import new_lead
from tests.integration.sync.conftest import Wired


def test_new_rows_linked_assigned_and_remembered_then_a_repeat_row_updates(wired: Wired) -> None:
    lead = new_lead(wired, "lee@example.com", FirstName="Lee", Title="CTO", LeadBridge_Score__c=0)
    data = (
        b"email,city\n"
        b"lee@example.com,Oslo\n"
        b"new@example.com,\n"
        b"not-an-email,\n"
        b"NEW@example.com,Paris\n"
    )
    summary = import_csv(wired.db, wired.crm, wired.clock, data)
    statuses = [(o.line, o.status) for o in summary.outcomes]
    assert statuses == [(2, "created"), (3, "created"), (4, "skipped"), (5, "updated")]
    lee, new = summary.outcomes[0], summary.outcomes[1]
    assert (lee.crm_object, lee.crm_id) == ("Lead", lead) and not lee.warnings
    assert summary.outcomes[3].prospect_id == new.prospect_id
    with wired.db.session() as session:
        prospects = ProspectRepository(session, wired.clock)
        linked = prospects.get(lee.prospect_id or 0)
        other = prospects.get(new.prospect_id or 0)
        audit = AuditRepository(session)
        lee_audit = [(e.field, e.new_value, e.origin) for e in audit.for_prospect(linked.id)]
        pending = OutboxRepository(session, wired.clock).pending("push")
    assert (linked.first_name, linked.job_title, linked.city) == ("Lee", "CTO", "Oslo")
    assert (linked.crm_lead_id, linked.assigned_user_id) == (lead, wired.rep_user_id)
    assert linked.last_crm_sync_at is not None
    assert other.city == "Paris" and other.crm_id is None and other.assigned_user_id is None
    assert sorted(lee_audit, key=str) == sorted(
        [
            ("prospect", "created", Origin.IMPORT),
            ("assigned_user_id", str(wired.rep_user_id), Origin.SALESFORCE),
        ],
        key=str,
    )
    assert [(item.prospect_id, item.reason) for item in pending] == [(linked.id, "assigned")]
    # The push sends the city the file set, and nothing Salesforce already holds.
    pushed = wired.engine().run_once()
    assert pushed.updated == 1
    [row] = wired.rows('SELECT "City", "FirstName" FROM "Lead" WHERE "Id" = ?', lead)
    assert (row["City"], row["FirstName"]) == ("Oslo", "Lee")


def test_a_row_naming_a_missing_campaign_is_skipped_alone(wired: Wired) -> None:
    with wired.db.session() as session:
        MarketingCampaignRepository(session).add("Webinar")
    data = (
        b"email,marketing_campaign\n"
        b"one@example.com,Webinar\n"
        b"two@example.com,Nowhere\n"
        b"three@example.com,\n"
    )
    summary = import_csv(wired.db, wired.crm, wired.clock, data)
    assert [o.status for o in summary.outcomes] == ["created", "skipped", "created"]
    assert "no marketing campaign named 'Nowhere'" in (summary.outcomes[1].reason or "")
    with wired.db.session() as session:
        one = ProspectRepository(session, wired.clock).get(summary.outcomes[0].prospect_id or 0)
    assert one.marketing_campaign == "Webinar"
