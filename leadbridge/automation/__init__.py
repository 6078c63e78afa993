"""The marketing side that drives assignment: automation rules, user groups (round-robin),
form handlers and their completion actions.

Writers call `run_rules_for(session, clock, prospect_ids, origin)` after they changed
prospects, in the same transaction. The services are the use cases the CLI and the HTTP app
call, each in its own transaction(s).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# The names below load their module when first used: importing one automation module (or
# `run_rules_for`) does not import the others.
_HOMES = {
    "ActionOutcome": "leadbridge.automation.actions",
    "ActionRunner": "leadbridge.automation.actions",
    "Firing": "leadbridge.automation.engine",
    "RulesReport": "leadbridge.automation.engine",
    "run_rules_for": "leadbridge.automation.engine",
    "FormHandlerService": "leadbridge.automation.forms",
    "form_handler_path": "leadbridge.automation.forms",
    "GroupService": "leadbridge.automation.groups",
    "RuleService": "leadbridge.automation.rules",
    "FormHandlerInactiveError": "leadbridge.automation.submissions",
    "FormSubmissionService": "leadbridge.automation.submissions",
    "SubmissionResult": "leadbridge.automation.submissions",
}

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


def __getattr__(name: str) -> Any:
    """Each name imported from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
