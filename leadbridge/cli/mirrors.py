"""`leadbridge accounts|opportunities|campaigns|custom-objects …`: the read-only mirrors of
Salesforce records that belong to synced prospects (filled by each sync cycle)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import DataTable, console, handle_errors, human, print_json
from leadbridge.domain.ids import row_id
from leadbridge.errors import NotFoundError

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
LimitOption = Annotated[int, typer.Option(help="At most this many rows.", min=1, max=10_000)]

accounts_app = typer.Typer(help="Prospect accounts mirrored from Salesforce (read-only).")
opportunities_app = typer.Typer(help="Opportunities of synced contacts (read-only).")
campaigns_app = typer.Typer(help="Salesforce campaigns and their member statuses (read-only).")
custom_objects_app = typer.Typer(help="Salesforce custom objects mirrored (read-only).")
mirrors_app = typer.Typer(help="The read-only mirrors of Salesforce records.")


def _emit(rows: list[dict[str, Any]], json_output: bool, *columns: str) -> None:
    if json_output:
        print_json(rows)
        return
    table = DataTable(*columns)
    for row in rows:
        table.add_row(*(human(row.get(c)) for c in columns))
    console.print(table)


@accounts_app.command("list")
@handle_errors
def list_accounts(limit: LimitOption = 100, json_output: JsonOption = False) -> None:
    """List mirrored prospect accounts.

    Example: leadbridge accounts list --json
    """
    from leadbridge.store.mirrors import MirrorRepository

    with context.database().session(readonly=True) as session:
        rows = [asdict(a) for a in MirrorRepository(session).accounts(limit=limit)]
    _emit(rows, json_output, "crm_id", "name", "prospect_ids", "synced_at")


@accounts_app.command("show")
@handle_errors
def show_account(
    crm_id: Annotated[str, typer.Argument(help="The Salesforce Account id.")],
    json_output: JsonOption = False,
) -> None:
    """Show one account with its mapped field values and prospects.

    Example: leadbridge accounts show 0015g00000ABCDEAAA
    """
    from leadbridge.store.mirrors import MirrorRepository

    with context.database().session(readonly=True) as session:
        account = asdict(MirrorRepository(session).account(crm_id))
    if json_output:
        print_json(account)
        return
    console.print(escape(f"{account['name'] or '-'} ({account['crm_id']})"), highlight=False)
    for name, value in sorted(account["values"].items()):
        console.print(escape(f"  {name}: {human(value)}"), highlight=False)
    console.print(f"  prospects: {', '.join(map(str, account['prospect_ids'])) or '-'}")


@opportunities_app.command("list")
@handle_errors
def list_opportunities(
    prospect: Annotated[
        str | None, typer.Option(help="Only this prospect's (email or id).")
    ] = None,
    limit: LimitOption = 100,
    json_output: JsonOption = False,
) -> None:
    """List mirrored opportunities with their contact roles.

    Example: leadbridge opportunities list --prospect ada@example.com
    """
    from leadbridge.store import ProspectRepository
    from leadbridge.store.mirrors import MirrorRepository

    db, clock = context.database(), context.clock()
    with db.session(readonly=True) as session:
        prospect_id = None
        if prospect is not None:
            prospects = ProspectRepository(session, clock)
            number = row_id(prospect, "prospect")
            found = prospects.get(number) if number else prospects.by_email(prospect)
            if found is None:
                raise NotFoundError(f"no prospect with the email {prospect!r}")
            prospect_id = found.id
        opportunities = MirrorRepository(session).opportunities(
            prospect_id=prospect_id, limit=limit
        )
    rows = [asdict(o) for o in opportunities]
    _emit(rows, json_output, "crm_id", "name", "stage", "amount", "close_date", "is_won")


@campaigns_app.command("list")
@handle_errors
def list_campaigns(json_output: JsonOption = False) -> None:
    """List Salesforce campaigns (what "add to Salesforce campaign" offers).

    Example: leadbridge campaigns list
    """
    from leadbridge.store.mirrors_campaigns import CampaignMirrorRepository

    with context.database().session(readonly=True) as session:
        rows = [asdict(c) for c in CampaignMirrorRepository(session).campaigns()]
    _emit(rows, json_output, "crm_id", "name", "status", "type", "is_active", "members")


@campaigns_app.command("statuses")
@handle_errors
def list_statuses(
    crm_id: Annotated[str, typer.Argument(help="The Salesforce Campaign id.")],
    json_output: JsonOption = False,
) -> None:
    """List a campaign's member statuses.

    Example: leadbridge campaigns statuses 7015g00000ABCDEAAA
    """
    from leadbridge.store.mirrors_campaigns import campaign_statuses

    with context.database().session(readonly=True) as session:
        labels = campaign_statuses(session, crm_id)
    if json_output:
        print_json(labels)
    else:
        console.print("\n".join(labels) or "no statuses mirrored for that campaign")


@custom_objects_app.command("enable")
@handle_errors
def enable(
    api_name: Annotated[str, typer.Argument(help="The custom object's API name (…__c).")],
    json_output: JsonOption = False,
) -> None:
    """Mirror a custom object's records that look up to a lead, contact or account
    (plus or advanced edition).

    Example: leadbridge custom-objects enable Subscription__c
    """
    from leadbridge.sync.mirrors import enable_custom_object

    client = context.connector_service().client()
    kind = enable_custom_object(context.database(), client, context.clock(), api_name)
    if json_output:
        print_json(asdict(kind))
    else:
        console.print(f"Mirroring {kind.api_name} ({kind.label}) from the next sync cycle.")


@custom_objects_app.command("list")
@handle_errors
def list_custom_objects(json_output: JsonOption = False) -> None:
    """List the mirrored custom objects."""
    from leadbridge.store.mirrors_custom import CustomObjectRepository

    with context.database().session(readonly=True) as session:
        kinds = CustomObjectRepository(session).enabled()
    rows = [{"api_name": k.api_name, "label": k.label, "lookups": k.lookups()} for k in kinds]
    _emit(rows, json_output, "api_name", "label", "lookups")


@custom_objects_app.command("records")
@handle_errors
def list_records(
    api_name: Annotated[str, typer.Argument(help="The custom object's API name.")],
    limit: LimitOption = 100,
    json_output: JsonOption = False,
) -> None:
    """List a mirrored custom object's records.

    Example: leadbridge custom-objects records Subscription__c --json
    """
    from leadbridge.store.mirrors_custom import CustomObjectRepository

    with context.database().session(readonly=True) as session:
        records = CustomObjectRepository(session).records(api_name, limit=limit)
    rows = [asdict(r) for r in records]
    _emit(rows, json_output, "crm_id", "prospect_id", "account_crm_id", "values")


@mirrors_app.command("refresh")
@handle_errors
def refresh(json_output: JsonOption = False) -> None:
    """Read what changed in Salesforce into the mirrors now (accounts, opportunities,
    campaigns, custom objects; users at most daily). Nothing is written to Salesforce.

    Example: leadbridge mirrors refresh --json
    """
    from leadbridge.sync.mirrors import mirror_step

    client = context.connector_service().client()
    summary = mirror_step(context.database(), client, context.clock())
    if json_output:
        print_json(summary.as_dict())
        return
    if summary.paused:
        console.print("The connector is paused: nothing was read.")
        return
    console.print(
        f"Accounts {summary.accounts}, opportunities {summary.opportunities}, contact roles "
        f"{summary.contact_roles}, campaigns {summary.campaigns}, memberships "
        f"{summary.campaign_members}, custom records {sum(summary.custom_records.values())}; "
        f"API calls {summary.api_calls}."
    )
    for user in summary.users.deactivated:
        console.print(
            f"[yellow]•[/yellow] {escape(user['crm_username'])} is inactive in Salesforce "
            f"(mapped to {escape(user['user'])})",
            highlight=False,
        )
    for user in summary.users.unmatched:
        console.print(
            escape(f"• new Salesforce user {user['crm_username']} has no leadbridge user"),
            highlight=False,
        )
    for line in [*summary.warnings, *([summary.stopped] if summary.stopped else [])]:
        console.print(f"[yellow]•[/yellow] {escape(line)}", highlight=False)
