"""`leadbridge users …`: leadbridge users and their Salesforce counterparts."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import DataTable, console, handle_errors, print_json

app = typer.Typer(help="Users, and their mapping to Salesforce users (one to one).")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@app.command()
@handle_errors
def sync(
    create: Annotated[
        bool, typer.Option(help="Create leadbridge users for unmatched ones.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Match active Salesforce users to leadbridge users by email.

    Example: leadbridge users sync --create
    """
    report = context.connector_service().sync_users(create=create)
    if json_output:
        print_json(asdict(report))
        return
    for title, rows in (
        ("Matched", report.matched),
        ("Created", report.created),
        ("Already mapped", report.already_mapped),
        ("No leadbridge user (use --create)", report.unmatched),
    ):
        if rows:
            console.print(escape(f"{title}: " + ", ".join(row["crm_username"] for row in rows)))
    for conflict in report.conflicts:
        console.print(f"[yellow]•[/yellow] {escape(conflict)}", highlight=False)
    if not (report.matched or report.created or report.already_mapped):
        console.print(_nobody_matched(report.seen, create), highlight=False)


def _nobody_matched(seen: int, create: bool) -> str:
    """The plain sentence for a sync that mapped nobody, and what to do about it."""
    if seen == 0:
        return (
            "Salesforce returned no active users, so no leadbridge user was mapped. Check that "
            "the connector user may read users: leadbridge connector verify"
        )
    if create:
        return f"Saw {seen} active Salesforce user(s); none could be mapped (see above)."
    return (
        f"Saw {seen} active Salesforce user(s); none matched a leadbridge user by email, so "
        "nobody was mapped. Create leadbridge users for them with: leadbridge users sync "
        "--create (or add one with leadbridge users add EMAIL and map it with leadbridge "
        "users map EMAIL SALESFORCE_USERNAME)."
    )


@app.command()
@handle_errors
def add(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    name: Annotated[str, typer.Option(help="Full name.")] = "",
    role: Annotated[
        str, typer.Option(help="admin, marketing, sales_manager or sales.")
    ] = "marketing",
    json_output: JsonOption = False,
) -> None:
    """Add a leadbridge user.

    Example: leadbridge users add ana@example.com --name "Ana Silva" --role sales
    """
    user = context.connector_service().add_user(email, name or email, role)
    if json_output:
        print_json(user)
    else:
        console.print(escape(f"Added user {user['email']} ({user['role']})."))


@app.command("map")
@handle_errors
def map_user(
    email: Annotated[str, typer.Argument(help="The leadbridge user's email.")],
    crm_username: Annotated[str, typer.Argument(help="The Salesforce username.")],
    json_output: JsonOption = False,
) -> None:
    """Map a leadbridge user to a Salesforce user (refused if either is taken).

    Example: leadbridge users map ana@example.com ana@acme.my.salesforce.com
    """
    user = context.connector_service().map_user(email, crm_username)
    if json_output:
        print_json(user)
    else:
        console.print(f"{user['email']} ↔ {user['crm_username']}")


@app.command("list")
@handle_errors
def list_users(json_output: JsonOption = False) -> None:
    """List leadbridge users and their Salesforce usernames."""
    from leadbridge.marketing.users import list_users

    users = list_users(context.database())
    if json_output:
        print_json(users)
        return
    table = DataTable("email", "name", "role", "active", "Salesforce user")
    for user in users:
        table.add_row(
            user["email"],
            user["name"],
            user["role"],
            "yes" if user["active"] else "no",
            user["crm_username"] or "-",
        )
    console.print(table)


@app.command("set-password")
@handle_errors
def set_password(
    email: Annotated[str, typer.Argument(help="The user's email.")],
) -> None:
    """Set a user's console password: asked for twice on a hidden prompt, or read as one
    line from stdin when stdin is not a terminal. Their open sessions end.

    Example: leadbridge users set-password ada@example.com
    """
    if sys.stdin.isatty():
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    from leadbridge.auth import AuthService

    AuthService(context.database(), context.clock()).set_password(email, password)
    console.print(f"Password set for {escape(email)}; they can sign in to the console now.")
