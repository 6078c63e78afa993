"""The `leadbridge` command."""

from __future__ import annotations

import typer

from leadbridge.cli import connector, fields, prospects, sandbox, users

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


@app.command()
def run() -> None:
    """Start the product on its embedded defaults: the sandbox org with demo data, leadbridge
    connected to it (connector added and verified, users synced)."""
    from leadbridge.cli.run import run_product

    run_product()


if __name__ == "__main__":
    app()
