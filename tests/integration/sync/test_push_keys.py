"""New leads are upserted on leadbridge's key, and Salesforce fails every record of one call
whose key repeats in it: a push sends each prospect's key once per call (the strict sandbox
would fail both records otherwise), in composite calls and in Bulk jobs alike."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from leadbridge.store import ProspectRepository
from tests.integration.sync.conftest import Wired

KEY = "LeadBridge_Prospect_Id__c"


@pytest.mark.parametrize("bulk", [False, True], ids=["composite", "bulk"])
def test_a_push_of_many_new_leads_sends_each_key_once(wired: Wired, bulk: bool) -> None:
    if bulk:
        wired.service.set("bulk_threshold", "100")
        wired.crm.bulk_threshold = 100
    ids = wired.add_many([{"email": f"new{i}@example.com"} for i in range(450)])
    summary = wired.engine().run_once()
    assert (summary.created, summary.error_count) == (450, 0)
    leads = wired.rows(f'SELECT "Id", "{KEY}" FROM "Lead" WHERE "{KEY}" IS NOT NULL')
    key_of_lead = {row["Id"]: row[KEY] for row in leads}
    assert len(key_of_lead) == len(set(key_of_lead.values())) == 450
    with wired.db.session() as session:
        rows = session.execute(text("SELECT prospect_id, crm_key FROM prospect_crm_keys"))
        keys = {int(row[0]): str(row[1]) for row in rows}
        prospects = ProspectRepository(session, wired.clock)
        for pid in ids:
            lead = prospects.get(pid).crm_lead_id
            assert lead is not None and key_of_lead[lead] == keys[pid]
    kinds = wired.crm.usage().calls_by_kind
    assert (kinds.get("bulk", 0) > 0) is bulk
    assert kinds.get("upsert", 0) == (0 if bulk else 3)  # 450 records, 200 a call
