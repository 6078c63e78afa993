"""Learning the names of the queues that own records, in one query when the sync meets a queue
it does not know (`store.queues` keeps them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadbridge.ports import Clock, CrmClient
from leadbridge.store.queues import record_queues, unknown_queue_ids


def learn_queues(
    session: Any, crm: CrmClient | None, clock: Clock, owner_ids: Iterable[str | None]
) -> int:
    """Read the org's queues (one call) when an owner among `owner_ids` is a queue leadbridge
    has no name for; nothing when all are known or there is no client at hand. The calls made
    (0 or 1)."""
    if crm is None or not unknown_queue_ids(session, owner_ids):
        return 0
    record_queues(session, crm.queues(), clock.now())
    return 1
