"""How leadbridge names a record's Salesforce owner when it is not a person."""

from __future__ import annotations


def owned_by_queue(name: str) -> str:
    """How leadbridge says that a queue owns the record, everywhere (Insight, `why`, CLI)."""
    return f"owned by queue {name}"
