"""`leadbridge fields …`: custom prospect fields and their Salesforce mapping."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import DataTable, console, handle_errors, print_json
from leadbridge.domain.fields import FieldType, SyncBehaviour

app = typer.Typer(help="Custom prospect fields and how they map to Salesforce.")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
BehaviourOption = Annotated[
    SyncBehaviour, typer.Option("--sync-behaviour", help="Which side wins a conflict.")
]
PicklistOption = Annotated[
    bool,
    typer.Option("--picklist-values", help="Take dropdown values from the Salesforce picklist."),
]


@app.command()
@handle_errors
def add(
    name: Annotated[str, typer.Argument(help="snake_case name, e.g. preferred_language.")],
    field_type: Annotated[
        FieldType, typer.Option("--type", help="The field's type.")
    ] = FieldType.TEXT,
    label: Annotated[str | None, typer.Option(help="Label shown to people.")] = None,
    option: Annotated[list[str] | None, typer.Option(help="A dropdown value (repeatable).")] = None,
    crm_field: Annotated[str | None, typer.Option(help="Map to this Salesforce API name.")] = None,
    behaviour: BehaviourOption = SyncBehaviour.USE_SALESFORCE,
    picklist_values: PicklistOption = False,
    json_output: JsonOption = False,
) -> None:
    """Add a custom field, optionally mapped at once (nothing is saved if the mapping is refused).

    Example: leadbridge fields add language --type dropdown --crm-field Preferred_Language__c
    """
    created = context.connector_service().add_field(
        name,
        label=label,
        field_type=field_type,
        options=option or [],
        crm_field=crm_field,
        behaviour=behaviour,
        picklist_values=picklist_values,
    )
    if json_output:
        print_json(created)
    else:
        mapped = f", mapped to {created['crm_field']}" if created["crm_field"] else ""
        console.print(escape(f"Added field {created['name']} ({created['type']}){mapped}."))


@app.command("map")
@handle_errors
def map_field(
    name: Annotated[str, typer.Argument(help="The custom field, or a default field.")],
    api_name: Annotated[
        str | None,
        typer.Argument(
            help="Salesforce field API name on Lead and Contact (a default field's is fixed)."
        ),
    ] = None,
    behaviour: Annotated[
        SyncBehaviour | None,
        typer.Option(
            "--sync-behaviour",
            help="Which side wins a conflict (custom fields: use_salesforce unless given).",
        ),
    ] = None,
    picklist_values: PicklistOption = False,
    json_output: JsonOption = False,
) -> None:
    """Map a custom field to the Salesforce field with that API name on both Lead and
    Contact, or change how a default field syncs.

    A default field (job_title, phone, …) keeps its Salesforce fields; only its sync
    behaviour changes: with use_leadbridge, an edit in leadbridge is pushed and no longer
    reverted by the next pull. The email (the prospect's identity) and leadbridge's own
    fields (score, grade, marketing_campaign) keep their rule.

    Example: leadbridge fields map preferred_language Preferred_Language__c --picklist-values
    Example: leadbridge fields map job_title --sync-behaviour use_leadbridge
    """
    mapped = context.connector_service().map_field(
        name, api_name, behaviour=behaviour, picklist_values=picklist_values
    )
    if json_output:
        print_json(mapped)
    elif mapped.get("default"):
        where = " and ".join(
            f"{obj}.{mapped[key]}"
            for obj, key in (("Lead", "lead_field"), ("Contact", "contact_field"))
            if mapped[key]
        )
        console.print(
            f"{mapped['name']} ({where}) now syncs with {_said(mapped['behaviour'])}.",
            highlight=False,
        )
    else:
        console.print(
            f"Mapped {mapped['name']} to Lead.{api_name} and Contact.{api_name} "
            f"({mapped['behaviour']}).",
            highlight=False,
        )


def _said(behaviour: str) -> str:
    return {
        "use_leadbridge": "use leadbridge's value",
        "use_salesforce": "use Salesforce's value",
        "most_recent": "the most recent change",
    }.get(behaviour, behaviour)


@app.command("list")
@handle_errors
def list_fields(json_output: JsonOption = False) -> None:
    """List custom fields with their mapping."""
    fields = context.connector_service().list_fields()
    if json_output:
        print_json(fields)
        return
    table = DataTable("name", "type", "Salesforce field", "sync behaviour", "options")
    for item in fields:
        table.add_row(
            item["name"],
            item["type"],
            item["crm_field"] or "-",
            item["behaviour"] or "-",
            ", ".join(item["options"]),
        )
    console.print(table)


@app.command()
@handle_errors
def mappings(json_output: JsonOption = False) -> None:
    """List every field mapping (default and custom)."""
    rows = context.connector_service().list_mappings()
    if json_output:
        print_json(rows)
        return
    table = DataTable("field", "Lead", "Contact", "sync behaviour", "blank overwrites")
    for row in rows:
        table.add_row(
            row["field"],
            row["lead_field"] or "-",
            row["contact_field"] or "-",
            row["behaviour"],
            "yes" if row["blank_overwrites"] else "no",
        )
    console.print(table)
