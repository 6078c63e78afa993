"""`leadbridge why EMAIL`: the seed's "my prospects aren't syncing" troubleshooting."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import console, handle_errors, print_json
from leadbridge.diagnostics import WhyReport, WhyService
from leadbridge.domain.why import Severity, Verdict

NOT_FOUND_EXIT = 3  # the exit code of NotFoundError everywhere in the CLI

_MARKS = {
    Severity.BLOCKING: "[red]✗[/red]",
    Severity.WAITING: "[yellow]…[/yellow]",
    Severity.WARNING: "[yellow]![/yellow]",
    Severity.INFO: "•",
}
ALL_GOOD = "[green]✓[/green]"
_VERDICTS = {
    Verdict.SYNCING: "[green]syncing[/green]",
    Verdict.WAITING: "[yellow]waiting[/yellow]: nothing to fix now; it syncs once the … items pass",
    Verdict.NOT_SYNCING: "[red]not syncing[/red]: fix the ✗ items above",
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
    if any(reason.severity is Severity.WARNING for reason in report.explanation.reasons):
        verdict += "; look at the ! items"
    console.print(f"Verdict: {verdict}", highlight=False)
