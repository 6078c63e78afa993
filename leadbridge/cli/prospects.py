"""`leadbridge prospects …`: the marketing side (every change goes to the audit log)."""

from __future__ import annotations

from contextlib import closing, suppress
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import DataTable, console, handle_errors, human, print_json
from leadbridge.errors import InputError

if TYPE_CHECKING:
    from leadbridge.marketing.prospects import ProspectService
    from leadbridge.store.quick_reads import ProspectLine

app = typer.Typer(help="Prospects: add, show, list, edit, assign, delete and undelete.")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
FieldOption = Annotated[
    list[str] | None, typer.Option("--set", "-s", help="FIELD=VALUE, repeatable (any field).")
]
SHOWN = (
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "country",
    "score",
    "grade",
    "opted_out",
    "do_not_sync",
)


def _service() -> ProspectService:
    from leadbridge.marketing.prospects import ProspectService

    return ProspectService(context.database(), context.clock())


def _pairs(values: list[str] | None) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError("use FIELD=VALUE", item=f"--set {item!r}")
        parsed[name.strip()] = value
    return parsed


@app.command()
@handle_errors
def add(
    email: Annotated[str, typer.Argument(help="The prospect's email (its identity).")],
    first_name: Annotated[str | None, typer.Option(help="First name.")] = None,
    last_name: Annotated[str | None, typer.Option(help="Last name.")] = None,
    company: Annotated[str | None, typer.Option(help="Company.")] = None,
    values: FieldOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add a prospect.

    Example: leadbridge prospects add ada@example.com --first-name Ada -s job_title=CTO
    """
    fields: dict[str, Any] = {"email": email, **_pairs(values)}
    for name, value in (("first_name", first_name), ("last_name", last_name), ("company", company)):
        if value is not None:
            fields[name] = value
    created = _service().add(fields)
    if json_output:
        print_json(created)
    else:
        console.print(escape(f"Added prospect {created['id']} <{created['email']}>."))


@app.command()
@handle_errors
def show(
    prospect: Annotated[str, typer.Argument(help="Id or email.")],
    json_output: JsonOption = False,
) -> None:
    """Show a prospect with its assigned user, Salesforce link and recent history.

    By email it finds the live prospect, else the newest one in the recycle bin (and says so).
    Example: leadbridge prospects show ada@example.com
    """
    shown = _service().show(prospect)
    if json_output:
        print_json(shown)
        return
    _print_prospect(shown)


def _print_prospect(shown: dict[str, Any]) -> None:
    console.print(f"[bold]Prospect {shown['id']}[/bold] <{escape(shown['email'])}>")
    if shown["recycled"]:
        console.print(
            f"  [yellow]in the recycle bin[/yellow]: restore it with "
            f"`leadbridge prospects undelete {shown['id']}`",
            highlight=False,
        )
    others = [str(i) for i in shown.get("recycled_ids", []) if i != shown["id"]]
    if others:
        console.print(
            f"  also in the recycle bin with this email: {', '.join(others)}", highlight=False
        )
    for name in SHOWN[1:]:
        console.print(f"  {name:18} {escape(human(shown[name]))}", highlight=False)
    for name, value in shown["custom"].items():
        console.print(f"  {name:18} {escape(human(value))}", highlight=False)
    crm_user = f" ({shown['assigned_user_crm']})" if shown["assigned_user_crm"] else ""
    console.print(
        f"  {'assigned user':18} {escape(human(shown['assigned_user']))}{escape(crm_user)}",
        highlight=False,
    )
    console.print(f"  {'salesforce':18} {escape(shown['crm_link'])}", highlight=False)
    if shown.get("crm_owner_queue"):
        from leadbridge.domain.owners import owned_by_queue

        owned = owned_by_queue(shown["crm_owner_queue"])
        console.print(f"  {'salesforce owner':18} {escape(owned)}", highlight=False)
    for entry in shown["history"]:
        console.print(
            f"  {entry['at'][:19]} {entry['origin']:10} {entry['field']}: "
            f"{escape(human(entry['old']))} → {escape(human(entry['new']))}",
            highlight=False,
        )


@app.command("list")
@handle_errors
def list_prospects(
    limit: Annotated[int, typer.Option(help="Page size (1-1000).")] = 50,
    after: Annotated[int | None, typer.Option(help="Show prospects after this id.")] = None,
    assigned_to: Annotated[str | None, typer.Option(help="Only this user's prospects.")] = None,
    recycled: Annotated[bool, typer.Option(help="List the recycle bin.")] = False,
    json_output: JsonOption = False,
) -> None:
    """List prospects page by page (by id).

    Example: leadbridge prospects list --limit 20 --after 120
    """
    if json_output:
        print_json(
            _service().list(limit=limit, after_id=after, recycled=recycled, assigned_to=assigned_to)
        )
        return
    table = DataTable("id", "email", "name", "company", "assigned", "salesforce")
    for line in _page(limit=limit, after=after, recycled=recycled, assigned_to=assigned_to):
        name = " ".join(part for part in (line.first_name, line.last_name) if part)
        table.add_row(
            str(line.id),
            line.email,
            name,
            line.company or "",
            line.assigned_user or "-",
            line.crm_link,
        )
    console.print(table)


def _page(
    *, limit: int, after: int | None, recycled: bool, assigned_to: str | None
) -> list[ProspectLine]:
    """The listing's lines: read with sqlite3 alone when the database allows (a person
    waits for this command), else through the service, which also answers when the quick
    read fails (a lock held too long, say) and reports any problem in plain words."""
    import sqlite3

    from leadbridge.store.quick_reads import ProspectLine, prospect_page

    reader = context.quick_reader()
    if reader is not None:
        with closing(reader), suppress(sqlite3.Error):
            return prospect_page(
                reader, limit=limit, after_id=after, recycled=recycled, assigned_to=assigned_to
            )
    rows = _service().list(limit=limit, after_id=after, recycled=recycled, assigned_to=assigned_to)
    return [ProspectLine.of(row) for row in rows]


@app.command()
@handle_errors
def edit(
    prospect: Annotated[str, typer.Argument(help="Id or email.")],
    values: FieldOption = None,
    json_output: JsonOption = False,
) -> None:
    """Change fields of a prospect.

    Example: leadbridge prospects edit ada@example.com -s job_title=CEO -s score=40
    """
    changes = _pairs(values)
    if not changes:
        raise InputError("nothing to change: give --set FIELD=VALUE", item="prospects edit")
    updated = _service().edit(prospect, changes)
    if json_output:
        print_json(updated)
    else:
        console.print(f"Updated prospect {updated['id']}.")


@app.command()
@handle_errors
def assign(
    prospect: Annotated[str, typer.Argument(help="Id or email.")],
    user: Annotated[
        str | None, typer.Argument(help="The user's email (or give --salesforce-rule).")
    ] = None,
    salesforce_rule: Annotated[
        bool,
        typer.Option(
            "--salesforce-rule",
            help="Let Salesforce's active lead assignment rule choose: the lead is written "
            "with the rule on at the next push, and the owner it picks becomes the assigned "
            "user.",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Assign a prospect to a user (assigned prospects sync to Salesforce), or let
    Salesforce's active lead assignment rule choose.

    Example: leadbridge prospects assign ada@example.com rep@example.com
    Example: leadbridge prospects assign ada@example.com --salesforce-rule
    """
    if salesforce_rule == (user is not None):
        raise InputError("give a user's email or --salesforce-rule (one of them)", item="user")
    if user is None:
        requested = _service().assign_by_salesforce_rule(prospect)
        if json_output:
            print_json(requested)
            return
        console.print(
            f"Prospect {requested['id']} goes to Salesforce with its active lead assignment "
            "rule on at the next push; the owner the rule picks becomes its assigned user."
        )
        return
    assigned = _service().assign(prospect, user)
    if json_output:
        print_json(assigned)
        return
    console.print(escape(f"Prospect {assigned['id']} assigned to {assigned['assigned_user']}."))


@app.command()
@handle_errors
def delete(
    prospect: Annotated[str, typer.Argument(help="Id or email.")],
    json_output: JsonOption = False,
) -> None:
    """Move a prospect to the recycle bin."""
    deleted = _service().delete(prospect)
    if json_output:
        print_json(deleted)
        return
    console.print(f"Prospect {deleted['id']} moved to the recycle bin.")


@app.command()
@handle_errors
def undelete(
    prospect_id: Annotated[int, typer.Argument(help="The prospect's id.")],
    json_output: JsonOption = False,
) -> None:
    """Restore a prospect from the recycle bin."""
    restored = _service().undelete(prospect_id)
    if json_output:
        print_json(restored)
        return
    console.print(f"Prospect {restored['id']} restored.")
