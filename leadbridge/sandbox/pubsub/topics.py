"""Change event channels: topic names, event names and the entities behind them."""

from __future__ import annotations

from leadbridge.sandbox.schema import ObjectDef, OrgSchema

ALL_CHANGES = "/data/ChangeEvents"
_PREFIX = "/data/"


def event_name(obj: ObjectDef) -> str:
    """`LeadChangeEvent`; a custom object `Thing__c` has `Thing__ChangeEvent`."""
    if obj.name.endswith("__c"):
        return obj.name[: -len("c")] + "ChangeEvent"
    return obj.name + "ChangeEvent"


def topic_name(obj: ObjectDef) -> str:
    return _PREFIX + event_name(obj)


def capturable(obj: ObjectDef) -> bool:
    """Objects that have a change event channel (field history objects have none)."""
    return not obj.name.endswith("History")


def entity_for_event(schema: OrgSchema, name: str) -> ObjectDef | None:
    """The object behind `LeadChangeEvent` or `Thing__ChangeEvent`, or None."""
    if not name.endswith("ChangeEvent"):
        return None
    stem = name[: -len("ChangeEvent")]
    object_name = stem + "c" if stem.endswith("__") else stem
    obj = schema.object(object_name)
    if obj is None or not capturable(obj) or event_name(obj) != name:
        return None
    return obj


def entity_for_topic(schema: OrgSchema, topic: str) -> ObjectDef | None:
    """The object of a single-entity channel such as `/data/LeadChangeEvent`, or None."""
    if not topic.startswith(_PREFIX):
        return None
    return entity_for_event(schema, topic[len(_PREFIX) :])
