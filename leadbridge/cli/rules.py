"""`leadbridge rules …`: automation rules (criteria → actions), previewed before they run."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress

from leadbridge.cli import context
from leadbridge.cli.bulk_jobs import WaitOption, WorkersOption, follow, use_workers
from leadbridge.cli.output import DataTable, console, handle_errors, print_json
from leadbridge.errors import InputError

if TYPE_CHECKING:
    from leadbridge.automation import RuleService

app = typer.Typer(help="Automation rules: when prospects match criteria, run actions.")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
RuleArgument = Annotated[str, typer.Argument(help="The rule's id or name.")]

# Action options shared with `leadbridge forms add`.
AssignUserOption = Annotated[
    str | None, typer.Option(help="Assign to this user (never reassigns).", metavar="EMAIL")
]
AssignGroupOption = Annotated[
    str | None,
    typer.Option(
        help="Assign round-robin within this user group (never reassigns).", metavar="NAME"
    ),
]
AssignSalesforceRuleOption = Annotated[
    bool,
    typer.Option(
        "--assign-salesforce-rule",
        help="Assign with Salesforce's active lead assignment rule: the lead is written with "
        "the rule on and the owner it picks becomes the assigned user (never reassigns).",
    ),
]
CampaignOption = Annotated[
    list[str] | None,
    typer.Option(
        "--add-to-campaign",
        help="Add to a Salesforce campaign with a member status, CAMPAIGN_ID:STATUS; repeatable.",
    ),
]
ScoreOption = Annotated[int | None, typer.Option(help="Add N to the score (negative subtracts).")]
SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="Change a field, FIELD=VALUE; repeatable.")
]
MarketingCampaignOption = Annotated[
    str | None, typer.Option(help="Set the prospect's marketing campaign.", metavar="NAME")
]
ActionsJsonOption = Annotated[
    str | None,
    typer.Option(help='Actions as JSON, e.g. \'[{"type": "adjust_score", "by": 5}]\'.'),
]


def service() -> RuleService:
    from leadbridge.automation import RuleService

    return RuleService(context.database(), context.clock())


def parse_json(text: str | None, option: str) -> list[Any]:
    if text is None:
        return []
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON ({error})", item=option) from None
    if not isinstance(parsed, list):
        raise InputError("give a JSON list", item=option)
    return parsed


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a bar on a terminal (None elsewhere)."""
    if not enabled or not console.is_terminal:
        yield None
        return
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


@app.command()
@handle_errors
def add(
    name: Annotated[str, typer.Argument(help="A unique name (the audit log's actor).")],
    when: Annotated[
        list[str] | None,
        typer.Option(help="A criterion, 'FIELD OP [VALUE]'; repeatable.", metavar="CRITERION"),
    ] = None,
    criteria_json: Annotated[
        str | None,
        typer.Option(
            help='Criteria as JSON, e.g. \'[{"field": "score", "op": "greater", "value": 50}]\'.'
        ),
    ] = None,
    match: Annotated[str, typer.Option(help="all: every criterion; any: at least one.")] = "all",
    once: Annotated[
        bool, typer.Option("--once/--repeat", help="Fire once per prospect, or every time.")
    ] = True,
    repeat_after_days: Annotated[
        int | None, typer.Option(help="With --repeat: fire again only N days after the last time.")
    ] = None,
    paused: Annotated[
        bool, typer.Option(help="Add it paused (preview it, then resume it).")
    ] = False,
    assign_user: AssignUserOption = None,
    assign_group: AssignGroupOption = None,
    assign_salesforce_rule: AssignSalesforceRuleOption = False,
    add_to_campaign: CampaignOption = None,
    adjust_score: ScoreOption = None,
    set_values: SetOption = None,
    marketing_campaign: MarketingCampaignOption = None,
    sync_with_crm: Annotated[bool, typer.Option(help="Ask for a sync with Salesforce.")] = False,
    do_not_sync: Annotated[
        bool | None,
        typer.Option("--set-do-not-sync/--clear-do-not-sync", help="Set or clear do-not-sync."),
    ] = None,
    actions_json: ActionsJsonOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add an automation rule. Criteria compare fields (custom ones too), score, grade,
    assigned, in_crm, email_domain; operators: equals, not_equals, contains, starts_with,
    is_blank, is_not_blank, greater, less.

    Example: leadbridge rules add Hot --when "score greater 50" --assign-group EMEA --paused
    """
    from leadbridge.domain.automation import actions_from_options
    from leadbridge.domain.criteria import parse_when

    criteria = parse_json(criteria_json, "--criteria-json") + [parse_when(w) for w in when or []]
    actions = parse_json(actions_json, "--actions-json") + actions_from_options(
        set_values=set_values or [],
        marketing_campaign=marketing_campaign,
        adjust_score=adjust_score,
        do_not_sync=do_not_sync,
        add_to_campaign=add_to_campaign or [],
        assign_user=assign_user,
        assign_group=assign_group,
        assign_salesforce_rule=assign_salesforce_rule,
        sync_with_crm=sync_with_crm,
    )
    if repeat_after_days is not None and once:
        raise InputError("goes with --repeat", item="--repeat-after-days")
    rule = service().add(
        name,
        criteria=criteria,
        actions=actions,
        match=match,
        active=not paused,
        repeat_after_days=None if once else (repeat_after_days or 0),
    )
    if json_output:
        print_json(rule)
    else:
        state = "active" if rule["active"] else "paused"
        console.print(
            escape(f"Added rule {rule['id']} {rule['name']!r} ({state})."), highlight=False
        )


@app.command("list")
@handle_errors
def list_rules(json_output: JsonOption = False) -> None:
    """List automation rules in the order they run."""
    rules = service().list()
    if json_output:
        print_json(rules)
        return
    table = DataTable("id", "name", "state", "when", "then", "fired for")
    for rule in rules:
        table.add_row(
            str(rule["id"]),
            rule["name"],
            "active" if rule["active"] else "paused",
            f"({rule['match']}) {rule['when']}",
            "; ".join(rule["then"]),
            str(rule["fired_for"]),
        )
    console.print(table)


@app.command()
@handle_errors
def show(rule: RuleArgument, json_output: JsonOption = False) -> None:
    """Show a rule: criteria, actions, once or repeating, how many prospects it fired for.

    Example: leadbridge rules show "EMEA hot"
    """
    shown = service().show(rule)
    if json_output:
        print_json(shown)
        return
    state = "active" if shown["active"] else "paused"
    console.print(
        f"[bold]Rule {shown['id']}[/bold] {escape(shown['name'])} ({state})", highlight=False
    )
    console.print(escape(f"  when ({shown['match']}): {shown['when']}"), highlight=False)
    for action in shown["then"]:
        console.print(escape(f"  then: {action}"), highlight=False)
    every = (
        "once per prospect"
        if not shown["repeat"]
        else f"repeats (after {shown['repeat_after_days']} days)"
    )
    console.print(f"  fires {every}; fired for {shown['fired_for']} prospects", highlight=False)


@app.command()
@handle_errors
def preview(
    rule: RuleArgument,
    sample: Annotated[int, typer.Option(help="How many matching prospects to list.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """Show which prospects a rule matches now, without changing anything.

    Example: leadbridge rules preview "EMEA hot" --sample 5
    """
    with progress_bar("Previewing", not json_output) as progress:
        result = service().preview(rule, sample=sample, progress=progress)
    if json_output:
        print_json(result)
        return
    console.print(
        f"Rule {result['rule']!r} matches {result['matching']} of {result['scanned']} "
        f"prospects; it would fire for {result['would_fire']}.",
        highlight=False,
    )
    for prospect in result["sample"]:
        console.print(escape(f"  {prospect['id']:>8}  {prospect['email']}"), highlight=False)


@app.command()
@handle_errors
def run(
    rule: Annotated[
        str | None, typer.Argument(help="A rule's id or name (all active rules if omitted).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Prospects per transaction.")] = 500,
    workers: WorkersOption = None,
    wait: WaitOption = True,
    json_output: JsonOption = False,
) -> None:
    """Run an active rule (or all of them) over every prospect now, in batches.

    With --workers (PostgreSQL), the run is queued for `leadbridge worker` processes: a job
    per 5,000 prospects, any number of workers at once; this command follows it until it is
    done (--no-wait: it prints the run's number; `leadbridge rules runs` shows it later).

    Example: leadbridge rules run "EMEA hot"
    """
    if use_workers(workers):
        _run_by_workers(rule, wait=wait, json_output=json_output)
        return
    with progress_bar("Running rules", not json_output) as progress:
        report = service().run(rule, batch_size=batch_size, progress=progress)
    if json_output:
        print_json(report)
        return
    console.print(
        f"{report['prospects']} prospects checked, {report['matched']} matches, "
        f"fired {report['fired']} times.",
        highlight=False,
    )
    for failure in report["failures"]:
        console.print(f"[yellow]•[/yellow] {escape(failure)}", highlight=False)


def _run_by_workers(rule: str | None, *, wait: bool, json_output: bool) -> None:
    from leadbridge.automation.rule_runs import RuleRunService

    runs = RuleRunService(context.database(), context.clock())
    started = runs.start(rule, actor="leadbridge rules run")
    if not wait:
        if json_output:
            print_json(started)
        else:
            console.print(
                f"Rule run {started['run']} queued: {started['total']} prospects in "
                f"{started['slices']} slices for the workers (`leadbridge rules runs`).",
                highlight=False,
            )
        return
    state = follow(
        "Running rules",
        lambda: runs.show(int(started["run"])).as_dict(),
        done_key="prospects",
        total_key="total",
        show=not json_output,
    )
    if json_output:
        print_json(state)
        return
    _print_run(state)
    if state["status"] == "failed":
        raise typer.Exit(1)


def _print_run(state: dict[str, Any]) -> None:
    console.print(
        f"Rule run {state['run']} {state['status']}: {state['prospects']} of {state['total']} "
        f"prospects checked ({state['slices_done']} of {state['slices']} slices), "
        f"{state['matched']} matches, fired {state['fired']} times"
        + (
            f", {state['failed']} failed (first: {state['first_failure']})"
            if state["failed"]
            else ""
        )
        + (f"; {state['error']}" if state["error"] else "")
        + ".",
        highlight=False,
    )


@app.command()
@handle_errors
def runs(
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many, newest first.")] = 10,
    json_output: JsonOption = False,
) -> None:
    """Rule runs by workers (`rules run --workers`, the console's "Run now" with workers):
    queued, running, done or failed, with their counts.

    Example: leadbridge rules runs
    """
    from leadbridge.automation.rule_runs import RuleRunService

    found = [
        run.as_dict() for run in RuleRunService(context.database(), context.clock()).recent(limit)
    ]
    if json_output:
        print_json(found)
        return
    if not found:
        console.print("No rule run by workers yet.")
    for state in found:
        _print_run(state)


def _set_active(rule: str, active: bool) -> None:
    updated = service().set_active(rule, active)
    state = "active" if updated["active"] else "paused"
    console.print(escape(f"Rule {updated['id']} {updated['name']!r} is {state}."), highlight=False)


@app.command()
@handle_errors
def pause(rule: RuleArgument) -> None:
    """Pause a rule: it stops running when prospects change.

    Example: leadbridge rules pause "EMEA hot"
    """
    _set_active(rule, False)


@app.command()
@handle_errors
def resume(rule: RuleArgument) -> None:
    """Switch a rule on: it runs whenever prospects change (use `rules run` for the rest).

    Example: leadbridge rules resume "EMEA hot"
    """
    _set_active(rule, True)


@app.command()
@handle_errors
def delete(rule: RuleArgument) -> None:
    """Delete a rule (the changes it made stay in the audit log).

    Example: leadbridge rules delete "EMEA hot"
    """
    deleted = service().delete(rule)
    console.print(escape(f"Deleted rule {deleted['id']} {deleted['name']!r}."), highlight=False)
