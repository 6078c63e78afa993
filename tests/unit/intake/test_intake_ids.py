from __future__ import annotations

from leadbridge.sync.intake.ids import id18, object_of


def test_a_15_character_id_gets_its_case_checksum() -> None:
    assert id18("00Q5g0000000001") == "00Q5g0000000001EAA"
    assert id18(" 00Q5g0000000001EAA ") == "00Q5g0000000001EAA"


def test_anything_else_is_not_an_id() -> None:
    assert id18("00Q5g00000") is None
    assert id18("00Q5g000000000!EAA") is None


def test_the_key_prefix_names_the_object() -> None:
    assert object_of("00Q5g0000000001EAA") == "Lead"
    assert object_of("0035g0000000001EAA") == "Contact"
    assert object_of("0015g0000000001EAA") is None
