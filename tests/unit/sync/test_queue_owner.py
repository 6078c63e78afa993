"""Queue owners: which owner ids are queues, and a push never overwriting one."""

from __future__ import annotations

from leadbridge.domain.push_record import WritePlan
from leadbridge.store.queues import is_queue_id
from leadbridge.sync.push.plan import keep_queue_owner

QUEUE = "00G5g0000000001EAA"
USER = "0055g0000000002AAA"
LEAD = "00Q5g0000000001AAA"


def test_queue_ids_are_told_from_user_ids() -> None:
    assert is_queue_id(QUEUE) and is_queue_id(QUEUE[:15])
    assert not is_queue_id(USER)
    assert not is_queue_id(None)


def test_owner_id_is_left_out_of_a_write_to_a_queue_owned_record() -> None:
    plan = WritePlan(
        "Lead", LEAD, {"Title": "CTO", "OwnerId": USER}, {"Title": "CTO", "OwnerId": USER}
    )
    kept = keep_queue_owner(plan, {"Id": LEAD, "OwnerId": QUEUE})
    assert (kept.values, kept.agreed) == ({"Title": "CTO"}, {"Title": "CTO"})
    assert keep_queue_owner(plan, {"Id": LEAD, "OwnerId": USER}) is plan  # a user: untouched
    assert keep_queue_owner(plan, None) is plan  # a new record: its owner is leadbridge's
