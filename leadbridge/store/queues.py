"""Salesforce queues as record owners: which owner ids are queues, and their names.

A lead in Salesforce may be owned by a queue (a `Group` of Type Queue, id prefix 00G) rather
than a user. leadbridge records such an owner on the prospect (`crm_owner_id`) like any other,
never maps it to a leadbridge user, never warns about it and never overwrites it. The queues'
names, read from Salesforce in one query (`CrmClient.queues`) by the user sync and by the pull
or intake when they meet a queue they do not know, are kept with the connector's other
snapshots of the org (a sync cursor of the pseudo-object `Connector`, as JSON): an org has a
handful of queues, and pages read them without an API call.

The small functions here are what other code calls: `is_queue_id`, `queue_name`,
`queue_names`, `owner_queue` (the words shown: "owned by queue NAME", `domain.why`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from leadbridge.domain.owners import owned_by_queue
from leadbridge.ports import CrmQueue
from leadbridge.store.cursors import read_cursor, write_cursor

QUEUE_ID_PREFIX = "00G"  # Salesforce's key prefix of Group; of groups, only queues own records
_OBJECT = "Connector"
_QUEUES = "crm_queues"


def is_queue_id(owner_id: str | None) -> bool:
    """Whether a Salesforce owner id (OwnerId) is a queue's rather than a user's."""
    return owner_id is not None and owner_id.startswith(QUEUE_ID_PREFIX)


def record_queues(session: Session, queues: Iterable[CrmQueue], at: datetime) -> None:
    """Remember the org's queues (the whole list, as Salesforce returned it just now)."""
    entries = {
        queue.id: {"id": queue.id, "name": queue.name, "developer_name": queue.developer_name}
        for queue in queues
    }
    ordered = sorted(entries.values(), key=lambda entry: entry["name"].lower())
    write_cursor(session, _OBJECT, _QUEUES, json.dumps(ordered), at)


def known_queues(session: Session) -> list[CrmQueue]:
    raw = read_cursor(session, _OBJECT, _QUEUES)
    try:
        entries = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [
        CrmQueue(str(e["id"]), str(e.get("name") or e["id"]), str(e.get("developer_name") or ""))
        for e in entries
        if isinstance(e, dict) and e.get("id")
    ]


def queue_names(session: Session) -> dict[str, str]:
    """Queue id → name, for every queue leadbridge has seen (15- and 18-character ids)."""
    names: dict[str, str] = {}
    for queue in known_queues(session):
        names[queue.id] = names[queue.id[:15]] = queue.name
    return names


def unknown_queue_ids(session: Session, owner_ids: Iterable[str | None]) -> list[str]:
    """The queue ids among `owner_ids` whose names leadbridge does not know yet."""
    names = queue_names(session)
    return sorted({o for o in owner_ids if o and is_queue_id(o) and o not in names})


def queue_name(session: Session, owner_id: str | None) -> str | None:
    """The name of the queue owning a record (its id when the name is not known yet); None
    when the owner is not a queue."""
    if owner_id is None or not is_queue_id(owner_id):
        return None
    return queue_names(session).get(owner_id, owner_id)


def owner_queue(session: Session, owner_id: str | None) -> str | None:
    """ "owned by queue NAME" when a queue owns the record, else None (Insight, `prospects
    show`; `why` says it through `domain.why`)."""
    name = queue_name(session, owner_id)
    return None if name is None else owned_by_queue(name)
