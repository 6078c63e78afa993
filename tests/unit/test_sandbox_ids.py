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


@pytest.mark.parametrize(
    "sequence", [0, 1, 61, 62, 3843, 3844, 62**4 - 1, 62**4, 62**5 + 7, 123_456_789, 62**9 - 1]
)
def test_made_ids_are_base_62_sequences_with_their_checksum(sequence: int) -> None:
    digits, number = "", sequence
    for _ in range(9):
        number, remainder = divmod(number, 62)
        digits = ids._BASE62[remainder] + digits
    made = ids.make_id("00Q", sequence)
    assert made == ids.to18("00Q5g0" + digits)
    assert ids.sequence_of(made) == sequence


@pytest.mark.parametrize("sequence", [-1, 62**9])
def test_sequences_out_of_range_are_refused(sequence: int) -> None:
    with pytest.raises(ValueError, match="sequence"):
        ids.make_id("00Q", sequence)
