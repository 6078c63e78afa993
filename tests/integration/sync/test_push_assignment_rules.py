"""Salesforce's lead assignment rules and the push, against the sandbox org with an active
rule: ordinary pushes keep leadbridge's owner (`Sforce-Auto-Assign: FALSE`), and a prospect
marked for the rule is written with it on and takes the owner the rule picked."""

from __future__ import annotations

from typing import Any

import pytest

import leadbridge.sync.push.engine as engine_module
from leadbridge.domain.pull import OWNER_NOT_MAPPED
from leadbridge.marketing.prospects import ProspectService
from leadbridge.store import ProspectRepository, UserRepository
from leadbridge.store.assignment_requests import AssignmentRequestRepository
from tests.integration.sync.conftest import NO_DATA, Wired
from tests.integration.sync.test_push_engine import lead_of, open_errors, pending


def crm_user_id(wired: Wired, user_id: int) -> str:
    with wired.db.session() as session:
        user = UserRepository(session).get(user_id)
    assert user is not None and user.crm_user_id is not None
    return user.crm_user_id


def new_salesforce_user(wired: Wired, *, mapped: bool) -> str:
    """A new active Salesforce user (mapped to a new leadbridge user when `mapped`)."""
    known = {row["Id"] for row in wired.rows('SELECT "Id" FROM "User"')}
    wired.control("POST", "/seed", {"users": 1, **NO_DATA})
    fresh = wired.rows('SELECT "Id", "IsActive" FROM "User"')
    [user_id] = [row["Id"] for row in fresh if row["Id"] not in known and row["IsActive"]]
    if mapped:
        wired.service.sync_users(create=True)
    return str(user_id)


def leadbridge_user(wired: Wired, crm_id: str) -> int:
    with wired.db.session() as session:
        user = UserRepository(session).by_crm_user_id(crm_id)
    assert user is not None
    return user.id


def set_rule(wired: Wired, entries: list[tuple[str | None, str]], default: str) -> None:
    """Country → owner entries (None: every lead), as the org's active rule."""
    wired.control(
        "PUT",
        "/assignment-rules",
        {
            "default_owner_id": default,
            "rules": [
                {
                    "name": "Countries",
                    "active": True,
                    "entries": [
                        {
                            "criteria": []
                            if country is None
                            else [{"field": "Country", "operator": "equals", "value": country}],
                            "owner_id": owner,
                        }
                        for country, owner in entries
                    ],
                }
            ],
        },
    )


def prospect(wired: Wired, prospect_id: int) -> Any:
    with wired.db.session() as session:
        return ProspectRepository(session, wired.clock).get(prospect_id)


def ask_the_rule(wired: Wired, email: str) -> None:
    ProspectService(wired.db, wired.clock).assign_by_salesforce_rule(email)


def requests_left(wired: Wired, ids: list[int]) -> set[int]:
    with wired.db.session() as session:
        return AssignmentRequestRepository(session, wired.clock).pending(ids)


def test_ordinary_pushes_keep_leadbridges_owner_when_a_rule_is_active(wired: Wired) -> None:
    other = new_salesforce_user(wired, mapped=False)
    set_rule(wired, [(None, other)], default=other)
    rep = crm_user_id(wired, wired.rep_user_id)
    prospect_id = wired.add("ada@example.com", country="France")
    assert wired.engine().run_once().created == 1
    assert lead_of(wired, "ada@example.com")["OwnerId"] == rep
    wired.edit(prospect_id, job_title="CTO")
    assert wired.engine().run_once().updated == 1
    lead = lead_of(wired, "ada@example.com")
    assert (lead["Title"], lead["OwnerId"]) == ("CTO", rep)


def test_the_owner_the_rule_picks_becomes_the_assignment(wired: Wired) -> None:
    mapped = new_salesforce_user(wired, mapped=True)
    unmapped = new_salesforce_user(wired, mapped=False)
    set_rule(wired, [("France", mapped), ("Germany", unmapped)], default=unmapped)
    ada = wired.add("ada@example.com", assign=False, country="France")
    bob = wired.add("bob@example.com", assign=False, country="Germany")
    assert wired.engine().run_once().considered == 0  # unassigned prospects do not sync
    ask_the_rule(wired, "ada@example.com")
    ask_the_rule(wired, "bob@example.com")
    summary = wired.engine().run_once()
    assert (summary.created, summary.error_count) == (2, 0)
    assert summary.api_calls <= 5  # 2 lookups, the upsert, the owners read back (+ clock)
    assert lead_of(wired, "ada@example.com")["OwnerId"] == mapped
    assert lead_of(wired, "bob@example.com")["OwnerId"] == unmapped
    ada_now, bob_now = prospect(wired, ada), prospect(wired, bob)
    assert (ada_now.assigned_user_id, ada_now.crm_owner_id) == (
        leadbridge_user(wired, mapped),
        mapped,
    )
    assert (bob_now.assigned_user_id, bob_now.crm_owner_id) == (None, unmapped)
    assert open_errors(wired, bob) == [OWNER_NOT_MAPPED]
    assert requests_left(wired, [ada, bob]) == set()
    # Later pushes are ordinary again: the rule no longer runs.
    set_rule(wired, [(None, unmapped)], default=unmapped)
    wired.edit(ada, job_title="CTO")
    wired.engine().run_once()
    assert lead_of(wired, "ada@example.com")["OwnerId"] == mapped


def test_an_existing_lead_is_updated_with_the_rule_on(wired: Wired) -> None:
    prospect_id = wired.add("ada@example.com", country="Germany")
    wired.engine().run_once()
    assert lead_of(wired, "ada@example.com")["OwnerId"] == crm_user_id(wired, wired.rep_user_id)
    germany = new_salesforce_user(wired, mapped=True)
    set_rule(wired, [("Germany", germany)], default=germany)
    ask_the_rule(wired, "ada@example.com")  # nothing else changed: the save runs the rule
    summary = wired.engine().run_once()
    assert (summary.updated, summary.error_count) == (1, 0)
    assert lead_of(wired, "ada@example.com")["OwnerId"] == germany
    assert prospect(wired, prospect_id).assigned_user_id == leadbridge_user(wired, germany)


def test_a_crash_before_the_outcome_is_recorded_leaves_the_request(
    wired: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = new_salesforce_user(wired, mapped=True)
    set_rule(wired, [(None, owner)], default=owner)
    prospect_id = wired.add("ada@example.com", assign=False)
    ask_the_rule(wired, "ada@example.com")

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt("the process died after Salesforce saved the lead")

    monkeypatch.setattr(engine_module, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        wired.engine().run_once()
    monkeypatch.undo()
    assert lead_of(wired, "ada@example.com")["OwnerId"] == owner  # Salesforce saved it
    assert requests_left(wired, [prospect_id]) == {prospect_id}
    assert prospect(wired, prospect_id).assigned_user_id is None
    again = wired.engine().run_once()
    assert (again.updated, again.error_count) == (1, 0)
    assert len(wired.rows('SELECT "Id" FROM "Lead"')) == 1  # the upsert found it
    assert prospect(wired, prospect_id).assigned_user_id == leadbridge_user(wired, owner)
    assert requests_left(wired, [prospect_id]) == set()
    assert pending(wired) == 0


def test_a_lost_reply_is_replayed_with_the_rule_on(wired: Wired) -> None:
    owner = new_salesforce_user(wired, mapped=True)
    set_rule(wired, [(None, owner)], default=owner)
    prospect_id = wired.add("ada@example.com", assign=False)
    ask_the_rule(wired, "ada@example.com")
    cut = {"kind": "connection_cut", "next_n": 1, "path_contains": "/composite/sobjects/Lead/"}
    wired.control("POST", "/faults", cut)
    summary = wired.engine().run_once()
    assert summary.error_count == 0
    assert len(wired.rows('SELECT "Id" FROM "Lead"')) == 1
    assert prospect(wired, prospect_id).assigned_user_id == leadbridge_user(wired, owner)
