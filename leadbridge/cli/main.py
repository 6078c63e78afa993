"""The `leadbridge` command."""

from __future__ import annotations

import typer

from leadbridge.cli import sandbox

app = typer.Typer(
    name="leadbridge",
    help="Keep a marketing database in two-way sync with Salesforce.",
    no_args_is_help=True,
)
app.add_typer(sandbox.app, name="sandbox")


@app.command()
def run() -> None:
    """Start the product on its embedded defaults: the sandbox org with demo data."""
    sandbox.serve_command(seed_demo=True)


if __name__ == "__main__":
    app()
