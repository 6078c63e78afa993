"""Intake against the sandbox org: batched calls, echo suppression, owners, automation hook."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from leadbridge.domain.fields import Origin
from leadbridge.importing import import_csv
from leadbridge.ports import CrmClient
from leadbridge.store import ProspectRepository, UserRepository
from leadbridge.sync.intake import send_to_leadbridge
from tests.integration.sync.conftest import Wired


class CountingCrm:
    """The real client, counting the calls made through it."""

    def __init__(self, crm: CrmClient) -> None:
        self.crm = crm
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self.crm, name)


def rep_username(wired: Wired) -> str:
    with wired.db.session() as session:
        username = UserRepository(session).get(wired.rep_user_id).crm_username
    assert username is not None
    return username


def new_lead(wired: Wired, email: str, **fields: Any) -> str:
    body = {"fields": {"LastName": "L", "Company": "C", "Email": email, **fields}}
    body["as_user"] = rep_username(wired)
    return str(wired.control("POST", "/records/Lead", body)["id"])


def test_a_sent_lead_is_not_pushed_back(wired: Wired) -> None:
    # Score is leadbridge's own field (always pushed): give Salesforce the same 0 already.
    lead = new_lead(wired, "echo@example.com", FirstName="Eve", Title="CTO", LeadBridge_Score__c=0)
    seen: list[tuple[list[int], Origin]] = []

    def after(_session: Any, ids: Sequence[int], origin: Origin) -> None:
        seen.append((list(ids), origin))

    summary = send_to_leadbridge(wired.db, wired.crm, wired.clock, [lead], after_change=after)
    [outcome] = summary.outcomes
    assert outcome.status == "created" and not outcome.warnings
    assert seen == [([outcome.prospect_id], Origin.SALESFORCE)]
    with wired.db.session() as session:
        prospect = ProspectRepository(session, wired.clock).get(outcome.prospect_id or 0)
    assert prospect.assigned_user_id == wired.rep_user_id  # from the lead's owner
    before = wired.rows('SELECT "SystemModstamp" FROM "Lead" WHERE "Id" = ?', lead)
    pushed = wired.engine().run_once()
    assert pushed.updated == 0 and pushed.created == 0  # nothing to write: no echo
    assert wired.rows('SELECT "SystemModstamp" FROM "Lead" WHERE "Id" = ?', lead) == before


def test_an_unmapped_owner_leaves_the_prospect_unassigned_with_a_warning(wired: Wired) -> None:
    lead = new_lead(wired, "orphan@example.com")
    with wired.db.session() as session:
        UserRepository(session).unmap(wired.rep_user_id)
    [outcome] = send_to_leadbridge(wired.db, wired.crm, wired.clock, [lead]).outcomes
    assert outcome.status == "created"
    assert "not mapped" in outcome.warnings[0]
    with wired.db.session() as session:
        prospect = ProspectRepository(session, wired.clock).get(outcome.prospect_id or 0)
    assert prospect.assigned_user_id is None


def test_an_import_looks_up_hundreds_of_emails_in_two_calls(wired: Wired) -> None:
    new_lead(wired, "person7@example.com", FirstName="Seven")
    rows = "\n".join(f"person{n}@example.com" for n in range(300))
    counting = CountingCrm(wired.crm)
    summary = import_csv(wired.db, counting, wired.clock, f"email\n{rows}\n".encode())
    assert summary.counts == {"created": 300}
    assert counting.calls == Counter({"find_by_emails": 2})
    linked = [o for o in summary.outcomes if o.crm_id]
    assert [o.email for o in linked] == ["person7@example.com"]
