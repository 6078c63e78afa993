"""Per-field change times for "most recent", on Salesforce's clock.

leadbridge's change times come from its audit log (its own clock); `server_offset` moves
them onto Salesforce's (`crm.server_now()` read from the replies' Date headers, no API call
once a reply was seen). Salesforce's side comes from its field history, read in one batch
for the records and fields in true conflict only (both sides changed); fields without
history fall back in the domain to when the pull first saw the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from leadbridge.errors import CrmError
from leadbridge.ports import Clock, CrmClient

# record id → API name → when Salesforce's current value was set
RecordTimes = dict[str, dict[str, datetime]]


def server_offset(crm: CrmClient, clock: Clock) -> timedelta:
    """Salesforce's clock minus ours (zero when Salesforce's cannot be read)."""
    try:
        return crm.server_now() - clock.now()
    except CrmError:
        return timedelta()


def history_times(
    crm: CrmClient, object_name: str, wanted: Mapping[str, Sequence[str]]
) -> RecordTimes:
    """The latest history time per (record, field) asked for: one batched read for all."""
    wanted = {record_id: names for record_id, names in wanted.items() if names}
    if not wanted:
        return {}
    fields = sorted({name for names in wanted.values() for name in names})
    found: RecordTimes = {}
    for change in crm.field_history(object_name, list(wanted), fields):
        names = {name.lower(): name for name in wanted.get(change.record_id, ())}
        name = names.get(change.field.lower())
        if name is None:
            continue
        times = found.setdefault(change.record_id, {})
        if name not in times or change.changed_at > times[name]:
            times[name] = change.changed_at
    return found
