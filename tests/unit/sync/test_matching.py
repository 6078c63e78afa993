"""Matching by email: contacts first, then unconverted leads, else create; duplicates."""

from __future__ import annotations

from leadbridge.domain.matching import CONTACT, LEAD, match


def record(
    record_id: str, modified: str = "2026-01-01T00:00:00.000+0000", **values: str
) -> dict[str, str]:
    return {"Id": record_id, "Email": "a@example.com", "LastModifiedDate": modified, **values}


def test_contacts_win_over_leads() -> None:
    chosen = match([record("003A")], [record("00QA")])
    assert (chosen.object_name, chosen.record) == (CONTACT, record("003A"))
    assert chosen.duplicate_warning("a@example.com") is None


def test_leads_win_over_creating() -> None:
    assert match([], [record("00QA")]).object_name == LEAD
    created = match([], [])
    assert created.creates
    assert created.object_name == LEAD


def test_several_records_pick_the_most_recently_modified_and_name_the_others() -> None:
    older = record("003A", "2026-01-01T00:00:00.000+0000")
    newer = record("003B", "2026-02-01T00:00:00.000+0000")
    chosen = match([older, newer], [])
    assert chosen.record == newer
    warning = chosen.duplicate_warning("a@example.com")
    assert warning is not None
    assert "003A" in warning
    assert "2 contacts" in warning


def test_ties_go_to_the_lowest_id_and_our_own_key_goes_first() -> None:
    assert match([record("003B"), record("003A")], []).record == record("003A")
    ours = record("003B", "2020-01-01T00:00:00.000+0000", Key__c="lb-1")
    chosen = match([record("003A"), ours], [], key_field="Key__c", key="lb-1")
    assert chosen.record == ours
