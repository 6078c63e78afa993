"""`leadbridge pull CRM_ID…`: Send to leadbridge from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import console, handle_errors, print_json

if TYPE_CHECKING:
    from leadbridge.importing.service import IntakeService
    from leadbridge.sync.intake import IntakeSummary


def _good() -> frozenset[str]:
    """The outcomes that count as done (shown in green)."""
    from leadbridge.sync.intake import CREATED, LINKED, RESTORED

    return frozenset({CREATED, LINKED, RESTORED, "updated", "unchanged"})


def intake_service() -> IntakeService:
    """The intake use cases over the CLI's database and connector (Salesforce on first use)."""
    from leadbridge.importing.service import IntakeService

    return IntakeService(
        context.database(), context.clock(), lambda: context.connector_service().client()
    )


@handle_errors
def pull(
    crm_ids: Annotated[
        list[str], typer.Argument(help="Salesforce lead or contact ids (15 or 18 characters).")
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Bring Salesforce leads or contacts into leadbridge now, as the "Send to leadbridge"
    button does: create the prospect, or link (restoring it if need be) the one with that
    email. Works while the connector is paused. One Salesforce call per object for all ids.

    Example: leadbridge pull 00Q000000000001AAA 003000000000001AAA
    """
    summary = intake_service().send(crm_ids)
    if json_output:
        print_json(summary.as_dict())
    else:
        print_summary(summary)
    if not any(outcome.status in _good() for outcome in summary.outcomes):
        raise typer.Exit(3)


def print_summary(summary: IntakeSummary) -> None:
    good = _good()
    for outcome in summary.outcomes:
        colour = "green" if outcome.status in good else "yellow"
        target = f" → prospect {outcome.prospect_id}" if outcome.prospect_id else ""
        email = f" ({outcome.email})" if outcome.email else ""
        reason = f": {outcome.reason}" if outcome.reason else ""
        console.print(
            f"{escape(outcome.key)}{escape(email)} [{colour}]{outcome.status}[/{colour}]"
            f"{target}{escape(reason)}",
            highlight=False,
        )
        for warning in outcome.warnings:
            console.print(f"    [yellow]![/yellow] {escape(warning)}", highlight=False)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
    console.print(f"[bold]{counts or 'nothing done'}[/bold]", highlight=False)
