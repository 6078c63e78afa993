"""The queues leadbridge has read from Salesforce: names by id, the words shown."""

from __future__ import annotations

from datetime import UTC, datetime

from leadbridge.ports import CrmQueue
from leadbridge.store.database import Database
from leadbridge.store.queues import (
    known_queues,
    owner_queue,
    queue_name,
    record_queues,
    unknown_queue_ids,
)

AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
INBOUND = CrmQueue("00G5g0000000001EAA", "Inbound Leads", "Inbound_Leads")
PARTNER = CrmQueue("00G5g0000000002EAA", "Partner Leads", "Partner_Leads")
USER = "0055g0000000002AAA"


def test_names_by_id_and_what_is_said(console_db: Database) -> None:
    with console_db.session() as session:
        assert unknown_queue_ids(session, [INBOUND.id, USER, None]) == [INBOUND.id]
        record_queues(session, [PARTNER, INBOUND], AT)
    with console_db.session() as session:
        assert known_queues(session) == [INBOUND, PARTNER]
        assert queue_name(session, INBOUND.id) == "Inbound Leads"
        assert queue_name(session, INBOUND.id[:15]) == "Inbound Leads"
        assert queue_name(session, USER) is None
        assert queue_name(session, "00G5g0000000009EAA") == "00G5g0000000009EAA"  # not read yet
        assert owner_queue(session, PARTNER.id) == "owned by queue Partner Leads"
        assert owner_queue(session, None) is None
        assert unknown_queue_ids(session, [INBOUND.id, PARTNER.id, USER]) == []
        record_queues(session, [PARTNER], AT)  # the whole list each time: INBOUND is gone
        assert queue_name(session, INBOUND.id) == INBOUND.id
