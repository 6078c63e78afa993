"""`leadbridge forms …`: form handlers, the public endpoints website forms post to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import DataTable, console, handle_errors, print_json
from leadbridge.cli.rules import (
    ActionsJsonOption,
    AssignGroupOption,
    AssignSalesforceRuleOption,
    AssignUserOption,
    CampaignOption,
    MarketingCampaignOption,
    ScoreOption,
    SetOption,
    parse_json,
)

if TYPE_CHECKING:
    from leadbridge.automation import FormHandlerService

app = typer.Typer(help="Form handlers: website forms post prospects to leadbridge.")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
HandlerArgument = Annotated[str, typer.Argument(help="The form handler's id or name.")]
BaseUrlOption = Annotated[
    str, typer.Option(help="Where `leadbridge serve` is reachable from the website.")
]
DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def _service() -> FormHandlerService:
    from leadbridge.automation import FormHandlerService

    return FormHandlerService(context.database(), context.clock())


@app.command()
@handle_errors
def add(
    name: Annotated[str, typer.Argument(help="A unique name (the audit log's actor).")],
    field: Annotated[
        list[str] | None,
        typer.Option(
            help="FORM_FIELD=PROSPECT_FIELD where the names differ; repeatable (other form "
            "fields map to the prospect field of the same name). A form sets only public "
            "profile fields, custom fields and opt-outs (to true)."
        ),
    ] = None,
    required: Annotated[
        list[str] | None, typer.Option(help="A form field that must be filled in; repeatable.")
    ] = None,
    reject_unknown: Annotated[
        bool, typer.Option(help="Refuse posts with fields that map to nothing (else ignored).")
    ] = False,
    assign_user: AssignUserOption = None,
    assign_group: AssignGroupOption = None,
    assign_salesforce_rule: AssignSalesforceRuleOption = False,
    add_to_campaign: CampaignOption = None,
    adjust_score: ScoreOption = None,
    set_values: SetOption = None,
    marketing_campaign: MarketingCampaignOption = None,
    actions_json: ActionsJsonOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add a form handler with completion actions (they run on every accepted post).

    Example: leadbridge forms add Contact --field work_email=email --assign-user rep@example.com
    """
    from leadbridge.domain.automation import actions_from_options
    from leadbridge.domain.forms import parse_field_map

    actions = parse_json(actions_json, "--actions-json") + actions_from_options(
        set_values=set_values or [],
        marketing_campaign=marketing_campaign,
        adjust_score=adjust_score,
        add_to_campaign=add_to_campaign or [],
        assign_user=assign_user,
        assign_group=assign_group,
        assign_salesforce_rule=assign_salesforce_rule,
    )
    handler = _service().add(
        name,
        field_map=parse_field_map(field or []),
        required=required or [],
        actions=actions,
        reject_unknown=reject_unknown,
    )
    if json_output:
        print_json(handler)
    else:
        console.print(
            f"Added form handler {handler['id']} {handler['name']!r}: "
            f"POST {DEFAULT_BASE_URL}{handler['path']}",
            highlight=False,
        )


@app.command("list")
@handle_errors
def list_handlers(json_output: JsonOption = False) -> None:
    """List form handlers with their paths and submission counts."""
    handlers = _service().list()
    if json_output:
        print_json(handlers)
        return
    table = DataTable("id", "name", "state", "public path", "then", "submissions")
    for handler in handlers:
        table.add_row(
            str(handler["id"]),
            handler["name"],
            "active" if handler["active"] else "paused",
            handler["path"],
            "; ".join(handler["then"]) or "-",
            str(handler["submissions"]),
        )
    console.print(table)


@app.command()
@handle_errors
def show(
    handler: HandlerArgument,
    base_url: BaseUrlOption = DEFAULT_BASE_URL,
    json_output: JsonOption = False,
) -> None:
    """Show a form handler and the public URL a website form posts to.

    Example: leadbridge forms show "Contact us" --base-url https://forms.example.com
    """
    shown = _service().show(handler)
    shown["url"] = base_url.rstrip("/") + shown["path"]
    if json_output:
        print_json(shown)
        return
    state = "active" if shown["active"] else "paused"
    console.print(f"[bold]Form handler {shown['id']}[/bold] {escape(shown['name'])} ({state})")
    console.print(escape(f"  POST {shown['url']}"), highlight=False)
    console.print(
        escape(
            "  (application/x-www-form-urlencoded or JSON; the email field is "
            f"{shown['email_field']!r})"
        ),
        highlight=False,
    )
    for form_name, target in shown["field_map"].items():
        console.print(escape(f"  field {form_name} → {target}"), highlight=False)
    if shown["required"]:
        console.print(escape(f"  required: {', '.join(shown['required'])}"), highlight=False)
    unknown = "rejected" if shown["reject_unknown"] else "ignored"
    console.print(f"  unknown fields are {unknown}", highlight=False)
    for action in shown["then"]:
        console.print(escape(f"  then: {action}"), highlight=False)
    console.print(f"  {shown['submissions']} submissions", highlight=False)


def _set_active(handler: str, active: bool) -> None:
    updated = _service().set_active(handler, active)
    state = "active" if updated["active"] else "paused (posts get 410 Gone)"
    console.print(f"Form handler {updated['id']} {updated['name']!r} is {state}.", highlight=False)


@app.command()
@handle_errors
def pause(handler: HandlerArgument) -> None:
    """Switch a form handler off: posts to it are refused with 410 Gone.

    Example: leadbridge forms pause "Contact us"
    """
    _set_active(handler, False)


@app.command()
@handle_errors
def resume(handler: HandlerArgument) -> None:
    """Switch a form handler back on.

    Example: leadbridge forms resume "Contact us"
    """
    _set_active(handler, True)
