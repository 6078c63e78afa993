"""`leadbridge groups …`: user groups that prospects are assigned to round-robin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import DataTable, console, handle_errors, print_json

if TYPE_CHECKING:
    from leadbridge.automation import GroupService

app = typer.Typer(help="User groups: assign prospects to their members in turn (round-robin).")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _service() -> GroupService:
    from leadbridge.automation import GroupService

    return GroupService(context.database(), context.clock())


@app.command()
@handle_errors
def add(
    name: Annotated[str, typer.Argument(help="A unique group name.")],
    member: Annotated[
        list[str], typer.Option(help="A member's email, in round-robin order; repeatable.")
    ],
    json_output: JsonOption = False,
) -> None:
    """Add a user group. Its members take prospects in turn, inactive ones skipped; the turn
    is kept in the database, so it survives restarts.

    Example: leadbridge groups add EMEA --member ana@example.com --member ben@example.com
    """
    group = _service().add(name, member)
    if json_output:
        print_json(group)
    else:
        emails = ", ".join(m["email"] for m in group["members"])
        console.print(escape(f"Added group {group['name']!r}: {emails}."), highlight=False)


@app.command("add-member")
@handle_errors
def add_member(
    name: Annotated[str, typer.Argument(help="The group's name.")],
    email: Annotated[str, typer.Argument(help="The user's email.")],
) -> None:
    """Add a user at the end of a group's round-robin order.

    Example: leadbridge groups add-member EMEA cleo@example.com
    """
    group = _service().add_member(name, email)
    console.print(
        escape(f"Group {group['name']!r} has {len(group['members'])} members."), highlight=False
    )


@app.command("list")
@handle_errors
def list_groups(json_output: JsonOption = False) -> None:
    """List user groups, their members in order, and who gets the next prospect."""
    groups = _service().list()
    if json_output:
        print_json(groups)
        return
    table = DataTable("id", "name", "members", "next")
    for group in groups:
        members = ", ".join(
            m["email"] + ("" if m["active"] else " (inactive)") for m in group["members"]
        )
        table.add_row(str(group["id"]), group["name"], members, group["next"] or "-")
    console.print(table)
