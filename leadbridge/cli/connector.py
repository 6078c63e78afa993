"""`leadbridge connector …`: add, verify, show, pause, resume and configure the connector."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import DataTable, console, handle_errors, human, print_json
from leadbridge.cli.secret_input import SecretOption, SecretReader
from leadbridge.errors import InputError

if TYPE_CHECKING:
    from leadbridge.connector.verify import VerifyReport
    from leadbridge.salesforce.credentials import CrmCredentials, Flow

app = typer.Typer(help="Connect leadbridge to a Salesforce org and configure the connector.")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


CLIENT_SECRET = SecretOption("client_secret", "Consumer secret", "LEADBRIDGE_CLIENT_SECRET")
PASSWORD = SecretOption("password", "Connector user's password", "LEADBRIDGE_PASSWORD")
SECURITY_TOKEN = SecretOption(
    "security_token", "Security token (Enter if none)", "LEADBRIDGE_SECURITY_TOKEN"
)


@app.command()
@handle_errors
def add(
    ctx: typer.Context,
    sandbox: Annotated[
        Path | None,
        typer.Option(help="Use the sandbox org whose data directory (credentials.json) is DIR."),
    ] = None,
    login_url: Annotated[
        str | None,
        typer.Option(
            help="https://login.salesforce.com, https://test.salesforce.com or My Domain."
        ),
    ] = None,
    client_id: Annotated[str | None, typer.Option(help="Connected app consumer key.")] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(
            help=CLIENT_SECRET.help("Consumer secret."),
            envvar=CLIENT_SECRET.envvar,
            show_envvar=False,
        ),
    ] = None,
    username: Annotated[
        str | None, typer.Option(help="Connector user (the username-password flow).")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help=PASSWORD.help("Connector user's password."),
            envvar=PASSWORD.envvar,
            show_envvar=False,
        ),
    ] = None,
    security_token: Annotated[
        str | None,
        typer.Option(
            help=SECURITY_TOKEN.help("Security token (none for trusted IP ranges)."),
            envvar=SECURITY_TOKEN.envvar,
            show_envvar=False,
        ),
    ] = None,
    private_key_file: Annotated[Path | None, typer.Option(help="PEM key for the JWT flow.")] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            help="PEM file of the CA that signed the org's certificate (a private CA); "
            "with --login-url."
        ),
    ] = None,
    edition: Annotated[
        str | None,
        typer.Option(
            help="standard, plus or advanced (custom objects need plus or advanced); "
            "default advanced with --sandbox, plus otherwise."
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Store the connector (paused until you resume it).

    The flow follows what you give: --private-key-file for JWT, --username for
    username-password, otherwise client credentials. Secrets left out are asked for on a
    hidden prompt; '-' as a secret's value reads it from stdin (one line per '-', in the order
    client secret, password, security token). Secrets given as arguments still work but show
    in `ps`. leadbridge keeps them encrypted with the key in .leadbridge/secret.key (0600, in
    a 0700 folder) and never prints them.

    An org whose certificate comes from a private CA needs --ca-file: the CA's certificate
    (PEM), kept with the connector and the only CA its calls then trust.

    Example: leadbridge connector add --login-url https://acme.my.salesforce.com
    --client-id 3MVG9… --client-secret -
    """
    service = context.connector_service()
    if sandbox is not None:
        if ca_file is not None:
            raise InputError(
                "the sandbox brings its own CA file; give --ca-file with --login-url",
                item="--ca-file",
            )
        described = service.add_sandbox(sandbox, edition=edition or "advanced")
    else:
        credentials = _credentials(
            SecretReader(ctx),
            login_url,
            client_id,
            client_secret,
            username,
            password,
            security_token,
            private_key_file,
            ca_file,
        )
        described = service.add(credentials, edition=edition or "plus")
    if json_output:
        print_json(described)
        return
    console.print(
        f"Connector added for {described['login_url']} (user "
        f"{described.get('username') or described.get('client_id')}); it is paused. "
        "Next: leadbridge connector verify"
    )


def _credentials(
    secrets: SecretReader,
    login_url: str | None,
    client_id: str | None,
    client_secret: str | None,
    username: str | None,
    password: str | None,
    security_token: str | None,
    private_key_file: Path | None,
    ca_file: Path | None,
) -> CrmCredentials:
    from leadbridge.salesforce.ca_file import checked_ca_file
    from leadbridge.salesforce.credentials import CrmCredentials

    if not login_url:
        raise InputError(
            "give --sandbox DIR, or --login-url with the credentials", item="connector add"
        )
    trusted = checked_ca_file(ca_file) if ca_file is not None else None  # before any prompt
    flow: Flow
    if private_key_file is not None:
        flow = "jwt"
    elif username:
        flow = "password"
    else:
        flow = "client_credentials"
    jwt, by_password = flow == "jwt", flow == "password"
    client_secret = secrets.read(CLIENT_SECRET, client_secret, needed=not jwt)
    password = secrets.read(PASSWORD, password, needed=by_password)
    security_token = secrets.read(
        SECURITY_TOKEN, security_token, needed=False, optional=by_password
    )
    return CrmCredentials(
        login_url=login_url,
        flow=flow,
        username=username,
        password=password,
        security_token=security_token,
        client_id=client_id,
        client_secret=client_secret,
        private_key=private_key_file.read_text() if private_key_file else None,
        ca_file=trusted,
    )


@app.command()
@handle_errors
def verify(json_output: JsonOption = False) -> None:
    """Log in, describe the org, store its schema and create the default field mappings.

    Example: leadbridge connector verify
    """
    report = context.connector_service().verify()
    if json_output:
        print_json(report.as_dict())
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(6)


def _print_report(report: VerifyReport) -> None:
    status = "[green]verified[/green]" if report.ok else "[red]not verified[/red]"
    console.print(
        f"Connector {status}. Objects found: "
        + escape(", ".join(f"{name} ({count} fields)" for name, count in report.objects.items()))
    )
    table = DataTable("prospect field", "Lead", "Contact", "sync behaviour", title="Field mappings")
    for mapping in report.mappings:
        table.add_row(
            mapping.field,
            mapping.lead_field or "-",
            mapping.contact_field or "-",
            mapping.behaviour,
        )
    console.print(table)
    for problem in report.problems:
        console.print(f"[yellow]•[/yellow] {escape(problem)}", highlight=False)
    if report.change_data_capture is not None:
        published = ", ".join(report.change_data_capture) or "no object"
        streams = {"Lead", "Contact"} <= set(report.change_data_capture)
        how = "streamed as they happen" if streams else "polled (select Lead and Contact to stream)"
        console.print(
            escape(
                f"Change Data Capture publishes {published}: Lead and Contact changes are {how}."
            ),
            highlight=False,
        )
    elif report.change_data_capture_note:
        console.print(
            f"[yellow]•[/yellow] {escape(report.change_data_capture_note)}", highlight=False
        )


@app.command()
@handle_errors
def show(json_output: JsonOption = False) -> None:
    """Show the connector, its settings and when it was verified (never its secrets)."""
    described = context.connector_service().show()
    if json_output:
        print_json(described)
        return
    _print_connector(described)


_LABELS = (
    ("login_url", "login URL"),
    ("auth_flow", "sign-in flow"),
    ("username", "connector user"),
    ("client_id", "consumer key"),
    ("ca_file", "CA file"),
    ("edition", "edition"),
)


def _print_connector(described: dict[str, Any]) -> None:
    """The connector as a person reads it: fields, then where each secret is kept (never the
    secret), the settings, and when each object's schema was described."""
    for key, label in _LABELS:
        console.print(escape(f"{label:24} {human(described.get(key))}"), highlight=False)
    status = "paused (automatic sync off)" if described["paused"] else "running"
    console.print(f"{'status':24} {status}", highlight=False)
    verified = described.get("verified_at") or "never: run `leadbridge connector verify`"
    console.print(escape(f"{'verified at':24} {verified}"), highlight=False)
    changes = described.get("changes") or {}
    if changes:
        console.print(escape(f"{'changes arrive':24} {changes['how']}"), highlight=False)
    secrets = described.get("secrets") or {}
    console.print("[bold]Secrets[/bold] (where each is kept; never shown)")
    if not secrets:
        console.print("  none stored")
    for name, source in secrets.items():
        console.print(escape(f"  {name:22} {source}"), highlight=False)
    console.print("[bold]Settings[/bold] (change with `leadbridge connector set NAME VALUE`)")
    for name, value in (described.get("settings") or {}).items():
        console.print(escape(f"  {name:28} {human(value)}"), highlight=False)
    schemas = described.get("schemas") or {}
    console.print("[bold]Salesforce objects described[/bold]")
    if not schemas:
        console.print("  none yet: run `leadbridge connector verify`")
    for name, at in schemas.items():
        console.print(escape(f"  {name:22} {at}"), highlight=False)


@app.command()
@handle_errors
def pause() -> None:
    """Stop automatic sync (a manual sync still works)."""
    context.connector_service().set_paused(True)
    console.print("Connector paused.")


@app.command()
@handle_errors
def resume() -> None:
    """Start automatic sync."""
    context.connector_service().set_paused(False)
    console.print("Connector resumed.")


@app.command("set")
@handle_errors
def set_setting(
    key: Annotated[str, typer.Argument(help="Setting name, e.g. poll_interval_seconds.")],
    value: Annotated[str, typer.Argument(help="New value.")],
    json_output: JsonOption = False,
) -> None:
    """Change a connector setting (validated).

    Switching auto_create_prospects on records the switch-on time on Salesforce's clock: the
    next sync cycle takes the leads and contacts created since.

    Example: leadbridge connector set auto_create_prospects true
    """
    described = context.connector_service().set(key, value)
    if json_output:
        print_json(described)
        return
    console.print(escape(f"{key} = {human(described['settings'][key])}"), highlight=False)
    if described.get("note"):
        console.print(f"[yellow]Note:[/yellow] {escape(described['note'])}", highlight=False)
