"""What a "Sync with Salesforce" did, in plain words for the notice after it."""

from __future__ import annotations

from typing import Any


def sync_words(result: dict[str, Any]) -> str:
    """One prospect: in sync (and with which record), or why not (blockers), or what
    Salesforce refused (errors)."""
    blockers = [str(b) for b in result.get("blockers") or []]
    errors = result.get("errors") or []
    if blockers:
        return "Not pushed: " + "; ".join(blockers)
    if errors:
        messages = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors[:3])
        return f"Salesforce refused it: {messages}. See its sync errors below."
    if result.get("in_sync"):
        record = result.get("crm_object") or "record"
        return f"In sync with Salesforce ({record} {result.get('crm_id') or ''})".rstrip() + "."
    return "Sent to Salesforce; it is not in sync yet. See the sync status below."


def bulk_sync_words(count: int, summary: dict[str, Any]) -> str:
    """A selection (the push summary): how many are in sync, held back, refused."""
    parts = [f"{int(summary.get('pushed') or 0):,} of {count:,} in sync with Salesforce"]
    skipped = summary.get("skipped_by_reason") or {}
    if skipped:
        reasons = ", ".join(f"{n:,} {reason}" for reason, n in sorted(skipped.items()))
        parts.append(f"not pushed: {reasons}")
    if summary.get("errors"):
        parts.append(f"{int(summary['errors']):,} refused by Salesforce (see Sync Errors)")
    if summary.get("stopped"):
        parts.append(f"stopped early: {summary['stopped']}")
    return "; ".join(parts) + "."
