"""Pulling Salesforce changes on connected records, against the sandbox org."""

from __future__ import annotations

import pytest

from leadbridge.domain.fields import SyncBehaviour
from leadbridge.domain.pull import EMAIL_NOT_APPLIED
from tests.integration.pull.conftest import Puller
from tests.integration.sync.conftest import Wired


@pytest.fixture
def org(wired: Wired) -> Puller:
    return Puller(wired)


@pytest.mark.parametrize(
    ("behaviour", "blank", "edited", "expected"),
    [
        (SyncBehaviour.USE_SALESFORCE, False, "CEO", "CEO"),
        (SyncBehaviour.MOST_RECENT, False, "CEO", "CEO"),
        (SyncBehaviour.USE_LEADBRIDGE, False, "CEO", "CTO"),
        (SyncBehaviour.USE_SALESFORCE, False, None, "CTO"),  # a value beats a blank
        (SyncBehaviour.USE_SALESFORCE, True, None, None),  # unless blanks overwrite
    ],
)
def test_a_salesforce_edit_arrives_after_one_poll_by_the_field_rules(
    org: Puller, behaviour: SyncBehaviour, blank: bool, edited: str | None, expected: str | None
) -> None:
    org.mapping("job_title", "Title", behaviour, blank)
    pid, lead = org.linked("ada@example.com", job_title="CTO")
    org.edit("Lead", lead, Title=edited)
    summary = org.pull()
    assert org.get(pid).job_title == expected
    assert summary.pulled == 1
    assert summary.changed_fields == (1 if expected != "CTO" else 0)


def test_a_salesforce_edit_that_loses_is_put_right_by_the_next_cycle(org: Puller) -> None:
    """Salesforce changed a field whose rule says leadbridge's value wins: the pull keeps
    ours and queues a push, so Salesforce gets leadbridge's value back (not left differing)."""
    org.mapping("job_title", "Title", SyncBehaviour.USE_LEADBRIDGE)
    pid, lead = org.linked("ada@example.com", job_title="CTO")
    org.edit("Lead", lead, Title="CEO")
    org.cycle()
    assert org.get(pid).job_title == "CTO"
    assert org.w.rows('SELECT "Title" FROM "Lead" WHERE "Id" = ?', lead)[0]["Title"] == "CTO"
    quiet = org.cycle()
    assert quiet.push is not None and quiet.push.considered == 0


def test_our_own_push_is_no_change_and_a_second_cycle_writes_nothing(org: Puller) -> None:
    org.mapping("job_title", "Title", SyncBehaviour.MOST_RECENT)
    pid, lead = org.linked("ada@example.com", job_title="CTO")
    org.w.edit(pid, job_title="VP")
    first = org.cycle()
    assert first.push is not None and first.push.updated == 1
    org.edit("Lead", lead, Phone="+1 555")
    second = org.cycle()
    assert second.pull is not None
    assert second.pull.changed_fields == 1  # the phone; the pushed title is an echo
    assert org.get(pid).job_title == "VP"
    third = org.cycle()
    assert third.pull is not None and third.pull.changed_fields == 0
    assert third.push is not None and third.push.updated == 0 and third.push.created == 0


def test_unconnected_records_are_ignored(org: Puller) -> None:
    org.w.control(
        "POST",
        "/records/Lead",
        {"fields": {"LastName": "X", "Company": "Y", "Email": "stranger@example.com"}},
    )
    summary = org.pull()
    assert summary.read == 1 and summary.pulled == 0


def test_idle_poll_costs_one_call_per_object(org: Puller) -> None:
    org.pull()
    assert org.pull().api_calls == 2


def test_email_change_is_kept_with_a_warning_unless_the_setting_is_on(org: Puller) -> None:
    pid, lead = org.linked("ada@example.com")
    org.edit("Lead", lead, Email="ada@new.example.com")
    org.pull()
    assert org.get(pid).email == "ada@example.com"
    assert org.get(pid).crm_lead_id == lead
    [warning] = org.warnings(pid)
    assert warning.startswith(EMAIL_NOT_APPLIED)
    assert "Salesforce changed the email to ada@new.example.com" in warning
    org.setting("apply_crm_email_changes", "true")
    org.edit("Lead", lead, Phone="1")  # touch it again
    org.pull()
    assert org.get(pid).email == "ada@new.example.com"


def test_email_change_refused_when_another_prospect_has_it(org: Puller) -> None:
    org.setting("apply_crm_email_changes", "true")
    pid, lead = org.linked("ada@example.com")
    org.w.add("taken@example.com", assign=False)
    org.edit("Lead", lead, Email="taken@example.com")
    summary = org.pull()
    assert org.get(pid).email == "ada@example.com"
    assert summary.warnings == 1


def test_conversion_relinks_to_the_contact_without_creating_anything(org: Puller) -> None:
    pid, lead = org.linked("ada@example.com")
    result = org.w.control(
        "POST",
        "/convert",
        {"leadId": lead, "convertedStatus": "Closed - Converted", "doNotCreateOpportunity": True},
    )
    summary = org.pull()
    prospect = org.get(pid)
    assert summary.relinked == 1
    assert prospect.crm_contact_id == result["contactId"]
    assert prospect.crm_account_id == result["accountId"]


def test_delete_recycles_and_push_does_not_recreate_then_undelete_restores(org: Puller) -> None:
    pid, lead = org.linked("ada@example.com")
    org.w.control("DELETE", f"/records/Lead/{lead}")
    assert org.pull().deleted == 1
    prospect = org.get(pid)
    assert prospect.recycled and prospect.deleted_in_crm
    pushed = org.cycle().push
    assert pushed is not None and pushed.created == 0
    assert org.w.rows('SELECT "Id" FROM "Lead" WHERE "IsDeleted" = 0') == []
    org.w.control("POST", "/undelete", {"ids": [lead]})
    assert org.pull().restored == 1
    assert not org.get(pid).recycled


def test_merge_repoints_and_merges_two_prospects(org: Puller) -> None:
    ada, ada_lead = org.linked("ada@example.com", job_title="CTO")
    other, other_lead = org.linked("ada2@example.com", phone="+44 20")
    org.w.control(
        "POST", "/merge", {"type": "Lead", "masterId": ada_lead, "mergeIds": [other_lead]}
    )
    summary = org.pull()
    assert summary.prospects_merged == 1
    assert org.get(other).recycled
    assert org.get(ada).phone == "+44 20"


def test_merge_repoints_a_prospect_to_the_survivor(org: Puller) -> None:
    ada, ada_lead = org.linked("ada@example.com")
    survivor = org.w.control(
        "POST", "/records/Lead", {"fields": {"LastName": "S", "Company": "C"}}
    )["id"]
    org.w.control("POST", "/merge", {"type": "Lead", "masterId": survivor, "mergeIds": [ada_lead]})
    assert org.pull().merged == 1
    assert org.get(ada).crm_lead_id == survivor


@pytest.mark.parametrize("pull_first", [True, False])
def test_a_leadbridge_edit_waiting_when_the_lead_is_converted_reaches_the_contact(
    org: Puller, pull_first: bool
) -> None:
    """The contact a conversion makes starts with the lead's values, so it starts with what
    the lead agreed on: a leadbridge edit not yet pushed then wins on the contact (it used to
    lose to the contact's newer creation time under "most recent"). Whether the pull sees
    the conversion first or the push finds the converted lead."""
    org.mapping("job_title", "Title", SyncBehaviour.MOST_RECENT)
    pid, lead = org.linked("ada@example.com", job_title="CTO")
    org.w.edit(pid, job_title="VP")
    converted = org.w.control(
        "POST", "/convert", {"leadId": lead, "doNotCreateOpportunity": True, "as_user": org.rep}
    )
    contact = str(converted["contactId"])
    if pull_first:
        org.cycle()
    else:
        org.w.engine().run_once()
        org.cycle()
    assert org.get(pid).crm_contact_id == contact
    assert org.get(pid).job_title == "VP"
    assert org.w.rows('SELECT "Title" FROM "Contact" WHERE "Id" = ?', contact)[0]["Title"] == "VP"
