"""The "assign with Salesforce's active lead assignment rule" action: its JSON form, its CLI
option and console row, and planning it like the other assignment actions."""

from __future__ import annotations

from leadbridge.domain.automation import (
    AssignBySalesforceRule,
    AssignUser,
    action_to_json,
    actions_from_options,
    describe_action,
    parse_actions,
    plan_actions,
)
from leadbridge.store.prospect import Prospect
from leadbridge.web.action_rows import KINDS, ActionRow, rows_from_json


def test_it_round_trips_through_json_the_cli_options_and_a_console_row() -> None:
    [action] = parse_actions([{"type": "assign_salesforce_rule"}])
    assert action == AssignBySalesforceRule()
    assert action_to_json(action) == {"type": "assign_salesforce_rule"}
    assert "Salesforce's active lead assignment rule" in describe_action(action)
    assert actions_from_options(assign_salesforce_rule=True) == [{"type": "assign_salesforce_rule"}]
    assert KINDS["assign_salesforce_rule"].target is None
    [row] = rows_from_json([{"type": "assign_salesforce_rule"}])
    assert row == ActionRow("assign_salesforce_rule")
    assert row.to_json() == {"type": "assign_salesforce_rule"}


def test_it_is_an_assignment_and_never_reassigns() -> None:
    actions = [AssignBySalesforceRule(), AssignUser("rep@example.com")]
    unassigned = plan_actions(actions, Prospect(id=1, email="ada@example.com"))
    assert unassigned.assignments == (AssignBySalesforceRule(), AssignUser("rep@example.com"))
    assigned = plan_actions(actions, Prospect(id=1, email="ada@example.com", assigned_user_id=3))
    assert assigned.assignments == ()
    assert assigned.skipped[0].endswith("(if unassigned): already assigned")
