"""The `leadbridge` command."""

from __future__ import annotations

import typer

from leadbridge.cli import connector, errors, fields, prospects, sandbox, users, why
from leadbridge.cli.forms import app as forms_app
from leadbridge.cli.groups import app as groups_app
from leadbridge.cli.importing import import_file
from leadbridge.cli.mirrors import (
    accounts_app,
    campaigns_app,
    custom_objects_app,
    mirrors_app,
    opportunities_app,
)
from leadbridge.cli.pull import pull
from leadbridge.cli.rules import app as rules_app
from leadbridge.cli.serve import serve
from leadbridge.cli.sync import app as sync_app

app = typer.Typer(
    name="leadbridge",
    help="Keep a marketing database in two-way sync with Salesforce.",
    no_args_is_help=True,
)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(connector.app, name="connector")
app.add_typer(fields.app, name="fields")
app.add_typer(users.app, name="users")
app.add_typer(prospects.app, name="prospects")
app.add_typer(errors.app, name="errors")
app.command("why")(why.why)
app.add_typer(rules_app, name="rules")
app.add_typer(sync_app, name="sync")
app.add_typer(groups_app, name="groups")
app.add_typer(forms_app, name="forms")
app.command("serve")(serve)
app.add_typer(accounts_app, name="accounts")
app.add_typer(opportunities_app, name="opportunities")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(custom_objects_app, name="custom-objects")
app.add_typer(mirrors_app, name="mirrors")
app.command("pull")(pull)
app.command("import")(import_file)


@app.command()
def run() -> None:
    """Start the product on its embedded defaults: the sandbox org with demo data, leadbridge
    connected to it (connector added and verified, users synced)."""
    from leadbridge.cli.run import run_product

    run_product()


if __name__ == "__main__":
    app()
