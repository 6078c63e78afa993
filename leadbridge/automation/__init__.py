"""The marketing side that drives assignment: automation rules, user groups (round-robin),
form handlers and their completion actions.

Writers call `run_rules_for(session, clock, prospect_ids, origin)` after they changed
prospects, in the same transaction. The services are the use cases the CLI and the HTTP app
call, each in its own transaction(s).
"""

from __future__ import annotations

from leadbridge.automation.actions import ActionOutcome, ActionRunner
from leadbridge.automation.engine import Firing, RulesReport, run_rules_for
from leadbridge.automation.forms import FormHandlerService, form_handler_path
from leadbridge.automation.groups import GroupService
from leadbridge.automation.rules import RuleService
from leadbridge.automation.submissions import (
    FormHandlerInactiveError,
    FormSubmissionService,
    SubmissionResult,
)

__all__ = [
    "ActionOutcome",
    "ActionRunner",
    "Firing",
    "FormHandlerInactiveError",
    "FormHandlerService",
    "FormSubmissionService",
    "GroupService",
    "RuleService",
    "RulesReport",
    "SubmissionResult",
    "form_handler_path",
    "run_rules_for",
]
