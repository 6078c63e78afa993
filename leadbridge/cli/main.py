"""The `leadbridge` command.

Each command's module loads when the command is called (see lazy.py): `leadbridge users
list` reads the users commands only. `--help` lists them in this order (typer's: single
commands, then groups, each in the order registered)."""

from __future__ import annotations

import typer

from leadbridge.cli.lazy import lazy_group

COMMANDS = {
    "why": "leadbridge.cli.why:why",
    "serve": "leadbridge.cli.serve:serve",
    "worker": "leadbridge.cli.worker:worker",
    "pull": "leadbridge.cli.pull:pull",
    "import": "leadbridge.cli.importing:import_file",
    "run": "leadbridge.cli.main:run",
    "sandbox": "leadbridge.cli.sandbox:app",
    "connector": "leadbridge.cli.connector:app",
    "fields": "leadbridge.cli.fields:app",
    "users": "leadbridge.cli.users:app",
    "prospects": "leadbridge.cli.prospects:app",
    "errors": "leadbridge.cli.errors:app",
    "rules": "leadbridge.cli.rules:app",
    "sync": "leadbridge.cli.sync:app",
    "groups": "leadbridge.cli.groups:app",
    "forms": "leadbridge.cli.forms:app",
    "accounts": "leadbridge.cli.mirrors:accounts_app",
    "opportunities": "leadbridge.cli.mirrors:opportunities_app",
    "campaigns": "leadbridge.cli.mirrors:campaigns_app",
    "custom-objects": "leadbridge.cli.mirrors:custom_objects_app",
    "mirrors": "leadbridge.cli.mirrors:mirrors_app",
}

app = typer.Typer(
    name="leadbridge",
    help="Keep a marketing database in two-way sync with Salesforce.",
    no_args_is_help=True,
    cls=lazy_group(COMMANDS),
)


@app.callback()
def main() -> None:
    """Nothing to do before a command (it makes `leadbridge` a group of commands)."""


def run() -> None:
    """Start the product on its embedded defaults: the sandbox org with demo data, leadbridge
    connected to it (connector added and verified, users synced)."""
    from leadbridge.cli.run import run_product

    run_product()


if __name__ == "__main__":
    app()
