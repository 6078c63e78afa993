"""Where a prospect stands in Salesforce, in the words every listing uses."""

from __future__ import annotations


def crm_link(
    *, contact_id: str | None, lead_id: str | None, do_not_sync: bool, assigned: bool
) -> str:
    """`Contact 003…` / `Lead 00Q…` when it is linked, else why it is not (yet)."""
    if contact_id:
        return f"Contact {contact_id}"
    if lead_id:
        return f"Lead {lead_id}"
    if do_not_sync:
        return "not synced (do not sync with CRM)"
    if not assigned:
        return "not in Salesforce: assign the prospect to a user to sync it"
    return "waiting for its first sync"
