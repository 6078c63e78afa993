"""Acceptance: Salesforce changes on connected records arrive through `leadbridge sync`."""

from __future__ import annotations

import time
from typing import Any

from tests.acceptance.test_push import Org, org  # noqa: F401


def _lead(connected: Org, email: str) -> str:
    return str(connected.records("Lead", email)[0]["Id"])


def _edit(connected: Org, lead_id: str, **fields: Any) -> None:
    """Edit as a sales rep, then let that second end: a poll reads up to the whole second it
    starts in (SOQL datetimes have whole seconds), later ones come with the next poll."""
    connected.sandbox.control(
        "PATCH", f"/records/Lead/{lead_id}", {"fields": fields, "as_user": connected.reps[0]}
    )
    time.sleep(1.02 - time.time() % 1)


def test_a_salesforce_edit_arrives_with_the_next_sync_once(org: Org) -> None:  # noqa: F811
    org.prospect("ada@example.com", first_name="Ada")
    org.sync()
    _edit(org, _lead(org, "ada@example.com"), FirstName="Augusta", Email="aal@example.com")
    summary = org.sync()
    assert summary["pull"]["pulled"] == 1
    assert summary["pull"]["changed_fields"] == 1
    assert summary["pull"]["warnings"] == 1  # the email change, kept out by default
    assert summary["updated"] == 0  # nothing goes back: no ping-pong
    shown = org.cli.json("prospects", "show", "ada@example.com")
    assert shown["first_name"] == "Augusta"
    why = " ".join(org.cli("why", "ada@example.com").split())
    assert "Salesforce changed the email to aal@example.com" in why
    printed = org.cli("sync", "once")
    assert "Pulled" in printed and "API calls this cycle" in printed
