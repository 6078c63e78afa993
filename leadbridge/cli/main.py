"""The `leadbridge` command.

Each command's module loads when the command is called (see lazy.py): `leadbridge users
list` reads the users commands only, and `--help` lists them from their summaries below, in
this order (typer's: single commands, then groups, each in the order registered)."""

from __future__ import annotations

import typer

from leadbridge.cli.lazy import Entry, Registry, lazy_group

COMMANDS: Registry = {
    "why": Entry(
        "leadbridge.cli.why:why",
        "Explain in plain words whether a prospect syncs to Salesforce, and why not.",
    ),
    "serve": Entry(
        "leadbridge.cli.serve:serve", "Run the HTTP app: the console, website forms and the API."
    ),
    "worker": Entry(
        "leadbridge.cli.worker:worker",
        "Run sync jobs on a PostgreSQL database, beside other workers.",
    ),
    "pull": Entry(
        "leadbridge.cli.pull:pull",
        'Bring Salesforce leads or contacts into leadbridge now (as "Send to leadbridge").',
    ),
    "import": Entry(
        "leadbridge.cli.importing:import_file",
        "Import prospects from a CSV file, with a report of any rows skipped.",
    ),
    "run": Entry(
        "leadbridge.cli.main:run",
        "Start the product on its embedded defaults: the sandbox org, connected.",
    ),
    "sandbox": Entry(
        "leadbridge.cli.sandbox:app",
        "Run the sandbox org: a local HTTPS server that behaves like Salesforce.",
    ),
    "connector": Entry(
        "leadbridge.cli.connector:app",
        "Connect leadbridge to a Salesforce org and configure the connector.",
    ),
    "fields": Entry(
        "leadbridge.cli.fields:app", "Custom prospect fields and how they map to Salesforce."
    ),
    "users": Entry(
        "leadbridge.cli.users:app", "Users, and their mapping to Salesforce users (one to one)."
    ),
    "prospects": Entry(
        "leadbridge.cli.prospects:app",
        "Prospects: add, show, list, edit, assign, delete and undelete.",
    ),
    "errors": Entry(
        "leadbridge.cli.errors:app",
        "Sync errors: what Salesforce refused, and retrying once fixed.",
    ),
    "rules": Entry(
        "leadbridge.cli.rules:app", "Automation rules: when prospects match criteria, run actions."
    ),
    "sync": Entry(
        "leadbridge.cli.sync:app",
        "Sync with Salesforce: push prospects once, keep running, or one now.",
    ),
    "groups": Entry(
        "leadbridge.cli.groups:app",
        "User groups: assign prospects to their members in turn (round-robin).",
    ),
    "forms": Entry(
        "leadbridge.cli.forms:app", "Form handlers: website forms post prospects to leadbridge."
    ),
    "accounts": Entry(
        "leadbridge.cli.mirrors:accounts_app",
        "Prospect accounts mirrored from Salesforce (read-only).",
    ),
    "opportunities": Entry(
        "leadbridge.cli.mirrors:opportunities_app", "Opportunities of synced contacts (read-only)."
    ),
    "campaigns": Entry(
        "leadbridge.cli.mirrors:campaigns_app",
        "Salesforce campaigns and their member statuses (read-only).",
    ),
    "custom-objects": Entry(
        "leadbridge.cli.mirrors:custom_objects_app",
        "Salesforce custom objects mirrored (read-only).",
    ),
    "mirrors": Entry(
        "leadbridge.cli.mirrors:mirrors_app", "The read-only mirrors of Salesforce records."
    ),
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
