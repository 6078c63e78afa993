"""Setup > Change Data Capture on the control plane, and the Tooling API's view of it.

`GET /__sandbox__/cdc` reports the selection and the events; `PUT` replaces the selection;
`POST /__sandbox__/cdc/events` injects gap and overflow events. The Tooling API query of
`PlatformEventChannelMember` is how a real client discovers the selection.
"""

from __future__ import annotations

import re
from typing import Any

from leadbridge.sandbox.dispatch import ApiRequest, Reply
from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.ids import make_id

from .capture import UnknownEntityError
from .log import replay_bytes
from .topics import event_name

_CHANNEL = "ChangeEvents"
_MEMBER_PREFIX = "0v8"  # PlatformEventChannelMember's key prefix
_MEMBER_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+PlatformEventChannelMember"
    r"(?:\s+WHERE\s+EventChannel\s*=\s*'(?P<channel>\w+)')?\s*$",
    re.IGNORECASE,
)
_MEMBER_FIELDS = {"id": "Id", "eventchannel": "EventChannel", "selectedentity": "SelectedEntity"}


def _hex(replay: int | None) -> str | None:
    return None if replay is None else replay_bytes(replay).hex()


def cdc(request: ApiRequest) -> Reply:
    backend = request.backend
    capture = backend.cdc
    if request.method == "PUT":
        entities = request.json_object().get("entities")
        if not isinstance(entities, list) or not all(isinstance(e, str) for e in entities):
            raise SalesforceError("INVALID_FIELD", "entities (a list of object names) is required")
        try:
            capture.select(entities)
        except UnknownEntityError as exc:
            raise SalesforceError("INVALID_FIELD", str(exc)) from None
    _, newest = backend.cdc_log.bounds()
    return Reply(
        body={
            "entities": list(capture.selected),
            "events": backend.cdc_log.count(),
            "latest_replay_id": _hex(newest),
            **backend.pubsub_stats.snapshot(),
        }
    )


def inject(request: ApiRequest) -> Reply:
    """`{"kind": "gap", "entity", "record_ids", "change_type"}` or `{"kind": "overflow",
    "entity"}`: what Salesforce sends when it could not make or send the real events."""
    body: dict[str, Any] = request.json_object()
    kind = body.get("kind")
    entity = str(body.get("entity", ""))
    try:
        if kind == "gap":
            record_ids = body.get("record_ids") or []
            change_type = str(body.get("change_type", "UPDATE")).upper()
            replay = request.backend.cdc.inject(entity, change_type, [str(i) for i in record_ids])
        elif kind == "overflow":
            replay = request.backend.cdc.inject(entity, "GAP_OVERFLOW", [])
        else:
            raise SalesforceError("INVALID_FIELD", "kind must be gap or overflow")
    except (UnknownEntityError, ValueError) as exc:
        raise SalesforceError("INVALID_FIELD", str(exc)) from None
    return Reply(status=201, body={"replay_id": _hex(replay)})


def tooling_query(request: ApiRequest) -> Reply:
    """`SELECT Id, EventChannel, SelectedEntity FROM PlatformEventChannelMember` (the only
    Tooling API query the sandbox answers), optionally `WHERE EventChannel = 'ChangeEvents'`."""
    soql = request.query.get("q", "")
    match = _MEMBER_QUERY.match(soql)
    if match is None:
        raise SalesforceError(
            "MALFORMED_QUERY",
            "The sandbox's Tooling API answers only SELECT Id, EventChannel, SelectedEntity "
            "FROM PlatformEventChannelMember",
        )
    fields = []
    for name in (part.strip() for part in match.group("fields").split(",")):
        known = _MEMBER_FIELDS.get(name.lower())
        if known is None:
            raise SalesforceError(
                "INVALID_FIELD", f"No such column '{name}' on entity 'PlatformEventChannelMember'"
            )
        fields.append(known)
    channel = match.group("channel")
    backend = request.backend
    members = [] if channel and channel != _CHANNEL else list(backend.cdc.selected)
    records = []
    for name in members:
        obj = backend.schema.object(name)
        assert obj is not None
        member_id = make_id(_MEMBER_PREFIX, 1 + backend.schema.objects().index(obj))
        values = {"Id": member_id, "EventChannel": _CHANNEL, "SelectedEntity": event_name(obj)}
        record: dict[str, Any] = {
            "attributes": {
                "type": "PlatformEventChannelMember",
                "url": f"/services/data/v{request.version}/tooling/sobjects/"
                f"PlatformEventChannelMember/{member_id}",
            }
        }
        record.update({field: values[field] for field in fields})
        records.append(record)
    return Reply(
        body={
            "size": len(records),
            "totalSize": len(records),
            "done": True,
            "queryLocator": None,
            "entityTypeName": "PlatformEventChannelMember",
            "records": records,
        }
    )
