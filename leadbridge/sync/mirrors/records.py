"""Salesforce records → the store's mirror snapshots, and the SOQL the mirrors send.

Pure translation: no I/O. Ids in IN lists are checked to be Salesforce ids, so nothing from
a record can change a query's meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from leadbridge.ports import CrmRecord
from leadbridge.store.mirrors import AccountData, OpportunityData, RoleData
from leadbridge.store.mirrors_campaigns import CampaignData, MemberData, StatusData
from leadbridge.store.mirrors_custom import CustomObjectType, CustomRecordData

IDS_PER_QUERY = 200
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")

ACCOUNT_FIELDS = ("Id", "Name", "SystemModstamp")
OPPORTUNITY_FIELDS = (
    "Id", "Name", "StageName", "Amount", "CloseDate", "IsWon", "IsClosed", "AccountId",
    "SystemModstamp",
)  # fmt: skip
ROLE_FIELDS = ("Id", "OpportunityId", "ContactId", "Role", "IsPrimary", "SystemModstamp")
CAMPAIGN_FIELDS = ("Id", "Name", "Status", "Type", "IsActive", "SystemModstamp")
STATUS_FIELDS = (
    "Id", "CampaignId", "Label", "IsDefault", "HasResponded", "SortOrder", "SystemModstamp",
)  # fmt: skip
MEMBER_FIELDS = (
    "Id", "CampaignId", "LeadId", "ContactId", "Status", "HasResponded", "SystemModstamp",
)  # fmt: skip


def id_chunks(ids: Iterable[str], size: int = IDS_PER_QUERY) -> Iterator[list[str]]:
    """Valid Salesforce ids, de-duplicated and sorted, in groups for IN (…) lists."""
    valid = sorted({i for i in ids if i and _ID.match(i)})
    for start in range(0, len(valid), size):
        yield valid[start : start + size]


def in_list(ids: Sequence[str]) -> str:
    assert all(_ID.match(i) for i in ids)
    return "(" + ", ".join(f"'{i}'" for i in ids) + ")"


def where_any(columns: Mapping[str, Sequence[str]]) -> str:
    """`A IN (…) OR B IN (…)` over the columns that have ids."""
    parts = [f"{column} IN {in_list(ids)}" for column, ids in columns.items() if ids]
    return " OR ".join(parts)


def _text(record: CrmRecord, name: str) -> str | None:
    value = record.get(name)
    return None if value is None else str(value)


def _when(record: CrmRecord) -> datetime | None:
    value = record.get("SystemModstamp")
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
    return None


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def account(record: CrmRecord, mappings: Mapping[str, str]) -> AccountData:
    """`mappings`: account field → Account field API name."""
    values = {
        name: _json(record.get(api_name))
        for name, api_name in mappings.items()
        if record.get(api_name) is not None  # blank account fields do not appear
    }
    return AccountData(str(record["Id"]), _text(record, "Name"), values, _when(record))


def opportunity(record: CrmRecord) -> OpportunityData:
    return OpportunityData(
        crm_id=str(record["Id"]),
        name=str(record.get("Name") or ""),
        stage=_text(record, "StageName"),
        amount=_number(record.get("Amount")),
        close_date=_day(record.get("CloseDate")),
        is_won=bool(record.get("IsWon")),
        is_closed=bool(record.get("IsClosed")),
        account_crm_id=_text(record, "AccountId"),
        modified_at=_when(record),
    )


def role(record: CrmRecord) -> RoleData:
    return RoleData(
        str(record["Id"]),
        str(record.get("OpportunityId") or ""),
        str(record.get("ContactId") or ""),
        _text(record, "Role"),
        bool(record.get("IsPrimary")),
    )


def campaign(record: CrmRecord) -> CampaignData:
    return CampaignData(
        str(record["Id"]),
        str(record.get("Name") or ""),
        _text(record, "Status"),
        _text(record, "Type"),
        bool(record.get("IsActive")),
    )


def status(record: CrmRecord) -> StatusData:
    order = record.get("SortOrder")
    return StatusData(
        str(record["Id"]),
        str(record.get("CampaignId") or ""),
        str(record.get("Label") or ""),
        bool(record.get("IsDefault")),
        bool(record.get("HasResponded")),
        None if order is None else int(order),
    )


def member(record: CrmRecord, people: set[str]) -> MemberData:
    """`people`: lead and contact ids of synced prospects (the contact wins when both are)."""
    contact, lead = _text(record, "ContactId"), _text(record, "LeadId")
    person = contact if contact in people or lead is None else lead
    return MemberData(
        str(record["Id"]),
        str(record.get("CampaignId") or ""),
        person or "",
        _text(record, "Status"),
        bool(record.get("HasResponded")),
    )


def custom_record(record: CrmRecord, kind: CustomObjectType) -> CustomRecordData:
    person: str | None = None
    account_id: str | None = None
    for field_name, target in kind.lookups().items():
        value = _text(record, field_name)
        if value is None:
            continue
        if target == "Account":
            account_id = account_id or value
        else:
            person = person or value
    values = {name: _json(value) for name, value in record.items() if name != "attributes"}
    return CustomRecordData(str(record["Id"]), values, person, account_id, _when(record))
