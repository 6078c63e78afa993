"""A batch of change events folds into one record per Salesforce record, in stream order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadbridge.ports import ChangeEvent
from leadbridge.sync.stream import fold

AT = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def _event(kind: str, ids: tuple[str, ...], seconds: int = 0, **values: object) -> ChangeEvent:
    return ChangeEvent("Lead", kind, ids, values, AT + timedelta(seconds=seconds))


def test_updates_add_up_and_a_later_value_wins() -> None:
    folded = fold(
        [
            _event("UPDATE", ("L1",), Company="A", Title="CEO"),
            _event("UPDATE", ("L1", "L2"), 1, Company="B"),
        ]
    )
    assert folded.of("Lead") == {
        "L1": {"Id": "L1", "Company": "B", "Title": "CEO"},
        "L2": {"Id": "L2", "Company": "B"},
    }


def test_a_delete_ends_a_record_and_an_undelete_brings_it_back_whole() -> None:
    folded = fold(
        [
            _event("UPDATE", ("L1",), Company="A"),
            _event("DELETE", ("L1",), 1),
            _event("DELETE", ("L2",), 1),
            _event("UNDELETE", ("L2",), 2, Company="Back", Email="b@example.com"),
        ]
    )
    assert folded.of("Lead")["L1"] == {"Id": "L1", "IsDeleted": True}
    assert folded.of("Lead")["L2"] == {
        "Id": "L2",
        "IsDeleted": False,
        "Company": "Back",
        "Email": "b@example.com",
    }


def test_creates_are_remembered_gaps_and_overflows_set_apart_other_objects_ignored() -> None:
    folded = fold(
        [
            _event("CREATE", ("L1",), Email="new@example.com"),
            _event("GAP_UPDATE", ("L7", "L8")),
            _event("GAP_OVERFLOW", (), 5),
            _event("GAP_OVERFLOW", (), 3),
            ChangeEvent("Account", "UPDATE", ("A1",), {"Name": "X"}, AT),
        ]
    )
    assert folded.created == {"Lead": {"L1"}}
    assert folded.gaps == {"Lead": {"L7", "L8"}}
    assert folded.overflows == {"Lead": AT + timedelta(seconds=3)}
    assert set(folded.records) == {"Lead"}
    assert "L7" not in folded.of("Lead")
