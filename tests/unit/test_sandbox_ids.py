from __future__ import annotations

import pytest

from leadbridge.sandbox import ids


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("001D000000IRFma", "001D000000IRFmaIAH"),
        ("00190000001pPvH", "00190000001pPvHAAU"),
        ("00Di0000000icUB", "00Di0000000icUBEAY"),
    ],
)
def test_checksum_matches_salesforce_documentation(id15: str, id18: str) -> None:
    assert ids.to18(id15) == id18
    assert ids.to18(id18) == id18


def test_an_18_character_id_in_the_wrong_case_is_restored() -> None:
    assert ids.to18("001d000000irfmaiah") == "001D000000IRFmaIAH"


def test_made_ids_carry_prefix_checksum_and_sequence() -> None:
    made = ids.make_id("00Q", 123_456)
    assert made.startswith("00Q") and len(made) == 18
    assert ids.to18(made[:15]) == made
    assert ids.sequence_of(made) == 123_456
    assert ids.make_id("00Q", 1) != ids.make_id("00Q", 2)


@pytest.mark.parametrize("bad", ["", "short", "001D000000IRFma!", "001D000000IRFmaIAHX"])
def test_malformed_ids_are_rejected(bad: str) -> None:
    assert not ids.looks_like_id(bad)
    with pytest.raises(ValueError, match="not a Salesforce ID"):
        ids.to18(bad)
