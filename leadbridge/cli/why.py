"""`leadbridge why EMAIL`: the seed's "my prospects aren't syncing" troubleshooting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import console, handle_errors, print_json

if TYPE_CHECKING:
    from leadbridge.diagnostics import WhyReport

NOT_FOUND_EXIT = 3  # the exit code of NotFoundError everywhere in the CLI

# By the values of leadbridge.domain.why's Severity and Verdict (StrEnums), so that loading
# the CLI does not load the diagnostics.
_MARKS = {
    "blocking": "[red]✗[/red]",
    "waiting": "[yellow]…[/yellow]",
    "warning": "[yellow]![/yellow]",
    "info": "•",
}
ALL_GOOD = "[green]✓[/green]"
_VERDICTS = {
    "syncing": "[green]syncing[/green]",
    "waiting": "[yellow]waiting[/yellow]: nothing to fix now; it syncs once the … items pass",
    "not syncing": "[red]not syncing[/red]: fix the ✗ items above",
}


@handle_errors
def why(
    prospect: Annotated[str, typer.Argument(help="The prospect's email (or id).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Explain in plain words whether a prospect syncs to Salesforce, and why not.

    Checks, in order: the recycle bin, "do not sync", the assigned user and its Salesforce
    user, the connector, open sync errors, pending pushes, and the linked record.
    Example: leadbridge why ada@example.com
    """
    from leadbridge.diagnostics import WhyService

    report = WhyService(context.database(), context.clock()).explain(prospect)
    if json_output:
        print_json(report.to_json())
    else:
        print_report(report)
    if not report.found:
        raise typer.Exit(NOT_FOUND_EXIT)


def print_report(report: WhyReport) -> None:
    """The explanation for people (also used by `leadbridge run`)."""
    name = report.facts.email or report.facts.asked_for
    console.print(f"[bold]Why {escape(name)}[/bold]", highlight=False)
    for reason in report.explanation.reasons:
        mark = ALL_GOOD if reason.code == "all_good" else _MARKS[reason.severity]
        console.print(f"  {mark} {escape(reason.message)}", highlight=False)
        if reason.action:
            console.print(f"      → {escape(reason.action)}", highlight=False)
    verdict = _VERDICTS[report.explanation.verdict]
    if any(reason.severity == "warning" for reason in report.explanation.reasons):
        verdict += "; look at the ! items"
    console.print(f"Verdict: {verdict}", highlight=False)
