"""Actions: parsing their JSON, the CLI options, and planning them against a prospect."""

from __future__ import annotations

from typing import Any

import pytest

from leadbridge.domain.automation import (
    AddToCrmCampaign,
    AdjustScore,
    AssignGroup,
    AssignUser,
    ChangeField,
    SetDoNotSync,
    SetMarketingCampaign,
    SyncWithCrm,
    action_to_json,
    actions_from_options,
    describe_action,
    parse_actions,
    plan_actions,
)
from leadbridge.errors import InputError
from leadbridge.store.prospect import Prospect

CAMPAIGN = "701000000000001AAA"


def prospect(**values: Any) -> Prospect:
    return Prospect(id=1, email="ada@example.com", **values)


def test_every_action_round_trips_through_json() -> None:
    items = [
        {"type": "assign_user", "user": " Rep@Example.com "},
        {"type": "assign_group", "group": "EMEA"},
        {"type": "add_to_crm_campaign", "campaign_id": CAMPAIGN, "status": "Responded"},
        {"type": "change_field", "field": "Country", "value": "France"},
        {"type": "adjust_score", "by": "-5"},
        {"type": "sync_with_crm"},
        {"type": "set_do_not_sync"},
        {"type": "clear_do_not_sync"},
        {"type": "set_marketing_campaign", "campaign": "Spring"},
    ]
    actions = parse_actions(items)
    assert actions == [
        AssignUser("Rep@Example.com"),
        AssignGroup("EMEA"),
        AddToCrmCampaign(CAMPAIGN, "Responded"),
        ChangeField("country", "France"),
        AdjustScore(-5),
        SyncWithCrm(),
        SetDoNotSync(True),
        SetDoNotSync(False),
        SetMarketingCampaign("Spring"),
    ]
    assert parse_actions([action_to_json(action) for action in actions]) == actions
    assert describe_action(AdjustScore(-5)) == "adjust score by -5"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"type": "teleport"}, "unknown action"),
        ({"type": "assign_user", "user": "not-an-email"}, "not a valid email"),
        ({"type": "assign_group"}, "'group'"),
        ({"type": "add_to_crm_campaign", "campaign_id": "701", "status": "Sent"}, "Salesforce id"),
        ({"type": "add_to_crm_campaign", "campaign_id": CAMPAIGN, "status": " "}, "'status'"),
        ({"type": "adjust_score", "by": 0}, "non-zero"),
        ({"type": "adjust_score", "by": 1.5}, "whole number"),
        ({"type": "adjust_score", "by": True}, "whole number"),
        ({"type": "change_field", "field": "email", "value": "x@y.z"}, "cannot be changed"),
        ({"type": "change_field", "field": "country"}, "null clears"),
        ({"type": "change_field", "field": "do_not_sync", "value": True}, "set_do_not_sync"),
    ],
)
def test_bad_actions_are_refused_with_the_reason(item: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_actions([item])
    assert message in str(caught.value)
    assert str(caught.value.item).startswith("actions[0]")


def test_actions_list_is_checked() -> None:
    with pytest.raises(InputError, match="one or more actions"):
        parse_actions([])
    with pytest.raises(InputError, match="at most"):
        parse_actions([{"type": "sync_with_crm"}] * 21)


def test_cli_options_become_actions_in_run_order() -> None:
    actions = actions_from_options(
        set_values=["country=France", "company="],
        adjust_score=5,
        add_to_campaign=[f"{CAMPAIGN}:Responded: yes"],
        assign_user="rep@example.com",
        assign_group="EMEA",
        sync_with_crm=True,
        do_not_sync=False,
        marketing_campaign="Spring",
    )
    assert [action["type"] for action in actions] == [
        "change_field",
        "change_field",
        "set_marketing_campaign",
        "adjust_score",
        "clear_do_not_sync",
        "add_to_crm_campaign",
        "assign_user",
        "assign_group",
        "sync_with_crm",
    ]
    assert actions[1]["value"] is None  # FIELD= clears the field
    assert actions[5]["status"] == "Responded: yes"
    with pytest.raises(InputError, match="CAMPAIGN_ID:STATUS"):
        actions_from_options(add_to_campaign=[CAMPAIGN])
    with pytest.raises(InputError, match="FIELD=VALUE"):
        actions_from_options(set_values=["country"])


def test_plan_folds_score_changes_in_order() -> None:
    plan = plan_actions(
        [AdjustScore(10), ChangeField("score", "100"), AdjustScore(-1)], prospect(score=5)
    )
    assert plan.changes == {"score": 99}
    assert plan_actions([AdjustScore(3), AdjustScore(-3)], prospect(score=5)).empty


def test_plan_never_reassigns() -> None:
    actions = [AssignUser("rep@example.com"), AssignGroup("EMEA")]
    assigned = plan_actions(actions, prospect(assigned_user_id=7))
    assert assigned.assignments == ()
    assert assigned.skipped == (
        "assign to user rep@example.com (if unassigned): already assigned",
        "assign round-robin within group 'EMEA' (if unassigned): already assigned",
    )
    unassigned = plan_actions(actions, prospect())
    assert unassigned.assignments == tuple(actions)  # tried in order, first that can wins


def test_plan_leaves_out_values_that_do_not_change() -> None:
    plan = plan_actions(
        [ChangeField("country", "France"), SetDoNotSync(False), ChangeField("city", "Lyon")],
        prospect(country="France"),
    )
    assert plan.changes == {"city": "Lyon"}


def test_plan_keeps_the_last_status_per_campaign_and_the_sync_request() -> None:
    other = "701000000000002AAA"
    plan = plan_actions(
        [
            AddToCrmCampaign(CAMPAIGN, "Sent"),
            AddToCrmCampaign(other, "Sent"),
            AddToCrmCampaign(CAMPAIGN, "Responded"),
            SyncWithCrm(),
            SetMarketingCampaign("Spring"),
        ],
        prospect(),
    )
    assert plan.crm_campaigns == (
        AddToCrmCampaign(other, "Sent"),
        AddToCrmCampaign(CAMPAIGN, "Responded"),
    )
    assert plan.sync is True
    assert plan.changes == {"marketing_campaign": "Spring"}
