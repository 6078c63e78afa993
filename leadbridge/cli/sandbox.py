"""`leadbridge sandbox …`: run the sandbox org."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from leadbridge.sandbox import RunningSandbox, SandboxBackend


# The sandbox's own default (leadbridge.sandbox.backend.DEFAULT_DATA_DIR, checked by a test),
# repeated here so that `--help` does not import the sandbox.
DEFAULT_DATA_DIR = Path(".leadbridge/sandbox")
app = typer.Typer(help="Run the sandbox org: a local HTTPS server that behaves like Salesforce.")
console = Console()


def summary_lines(info: RunningSandbox) -> list[str]:
    """How to reach the org; never prints the password, token or client secret."""
    creds = info.credentials
    return [
        f"[bold]Sandbox org[/bold] at {info.instance_url}",
        f"  username      {creds['username']}",
        f"  credentials   {info.data_dir / 'credentials.json'} (password, token, client secret)",
        f"  CA file       {info.tls.ca_file}",
        "  simple-salesforce: session = requests.Session(); session.trust_env = False; "
        "session.verify = CA file;",
        f"    Salesforce(username=..., password=..., security_token=..., "
        f"domain='{info.instance_url.removeprefix('https://')}/services/Soap/u/59.0#', "
        "session=session)",
        f"  control plane {info.instance_url}/__sandbox__/  (see docs/sandbox.md)",
        f"  Pub/Sub API   {info.pubsub_endpoint}  (gRPC over TLS, same CA; Change Data Capture)",
        *(f"[yellow]Warning:[/yellow] {warning}" for warning in info.warnings),
    ]


def seed_if_empty(backend: SandboxBackend, seed: int, leads: int) -> None:
    from leadbridge.sandbox.seed import SeedSizes, seed_org

    existing = backend.db.conn.execute('SELECT COUNT(*) FROM "Lead"').fetchone()[0]
    if existing:
        console.print(f"Demo data already present ({existing} leads); not seeding again.")
        return
    counts = seed_org(backend.org, seed=seed, sizes=SeedSizes(leads=leads))
    console.print("Seeded demo data: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    # The demo org publishes its changes, as an org set up for leadbridge does (Setup > Change
    # Data Capture): leadbridge streams them. Selected after seeding: no events for the seed.
    from leadbridge.sync.cycle import STREAMED_MIRRORS

    selected = backend.cdc.select(["Lead", "Contact", *sorted(STREAMED_MIRRORS)])
    console.print("Change Data Capture on for " + ", ".join(selected) + ".")


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTPS port.")] = 8443,
    data: Annotated[Path, typer.Option(help="Where the org, CA and credentials live.")] = (
        DEFAULT_DATA_DIR
    ),
    seed_demo: Annotated[bool, typer.Option(help="Seed demo data into an empty org.")] = False,
    memory: Annotated[bool, typer.Option(help="Keep records in memory only.")] = False,
    schema: Annotated[Path | None, typer.Option(help="Schema file (YAML).")] = None,
    bare_schema: Annotated[
        bool,
        typer.Option(
            "--bare-schema",
            "--fresh-org",
            help="Start as an org leadbridge has never seen: without leadbridge's own fields "
            "(no upsert key, score, grade or campaign) and without duplicate rules.",
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed for demo data.")] = 42,
    leads: Annotated[int, typer.Option(help="Demo leads to create.")] = 200,
    daily_api_allowance: Annotated[int, typer.Option(help="API calls per day.")] = 100_000,
    leadbridge_url: Annotated[
        str,
        typer.Option(
            help="leadbridge's console: the record page's Send to leadbridge button opens "
            "its /send-to-leadbridge page (no token is ever put in the page)."
        ),
    ] = "http://127.0.0.1:8080",
    control_token: Annotated[
        str | None,
        typer.Option(
            envvar="LEADBRIDGE_SANDBOX_CONTROL_TOKEN",
            help="Require this token (header X-Sandbox-Token) on the control plane. Off a "
            "loopback --host one is generated when unset, kept in credentials.json.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the sandbox org over HTTPS until interrupted."""
    from leadbridge.sandbox import SandboxConfig, serve
    from leadbridge.sandbox.schema import FRESH_ORG_SCHEMA_FILE

    if bare_schema and schema is not None:
        raise typer.BadParameter("give --schema or --bare-schema, not both")
    config = SandboxConfig(
        data_dir=data,
        memory=memory,
        schema_file=FRESH_ORG_SCHEMA_FILE if bare_schema else schema,
        daily_api_allowance=daily_api_allowance,
        leadbridge_url=leadbridge_url,
        control_token=control_token or None,
    )

    def ready(info: RunningSandbox, backend: SandboxBackend) -> None:
        if seed_demo:
            seed_if_empty(backend, seed, leads)
        for line in summary_lines(info):
            console.print(line)
        console.print("Press Ctrl+C to stop.")

    serve(config, host, port, ready)
