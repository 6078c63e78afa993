"""`leadbridge run` (`make run`): the sandbox org and leadbridge, connected and ready."""

from __future__ import annotations

import threading
import time

from rich.markup import escape

from leadbridge.api.server import build_server, serve
from leadbridge.auth import AuthService
from leadbridge.cli import context
from leadbridge.cli.console import console_app
from leadbridge.cli.demo import play_demo
from leadbridge.cli.output import console
from leadbridge.cli.sandbox import seed_if_empty, summary_lines
from leadbridge.cli.serve import background_task
from leadbridge.cli.sync import stop_on_signals
from leadbridge.sandbox import SandboxConfig, SandboxServer

NEXT_STEPS = (
    "leadbridge why ada.lovelace@example.com",
    "leadbridge sync once",
    "leadbridge errors list",
    "leadbridge connector show",
    "leadbridge fields mappings",
    "leadbridge users list",
    "leadbridge prospects add ada@example.com --first-name Ada --last-name Lovelace",
    "leadbridge prospects list",
)


def run_product(*, demo_leads: int = 200, stop: threading.Event | None = None) -> None:
    """Start the sandbox, connect leadbridge to it, verify, sync users; serve the console
    (with the sync loop beside it) until stopped."""
    settings = context.settings()
    config = SandboxConfig(data_dir=settings.sandbox_dir)
    with SandboxServer(config, port=settings.sandbox_port) as server:
        seed_if_empty(server.backend, seed=42, leads=demo_leads)
        for line in summary_lines(server.info):
            console.print(line)
        service = context.connector_service()
        if not service.has_connector():
            service.add_sandbox(settings.sandbox_dir)
        report = service.verify()
        console.print(
            f"leadbridge connected to the sandbox org: {len(report.objects)} objects "
            f"described, {sum(1 for m in report.mappings if m.lead_field or m.contact_field)} "
            "fields mapped."
        )
        for problem in report.problems:
            console.print(f"  [yellow]•[/yellow] {escape(problem)}")
        users = service.sync_users(create=True)
        console.print(
            f"Users: {len(users.created)} created, {len(users.matched)} matched, "
            f"{len(users.already_mapped)} already mapped."
        )
        rows = users.created + users.matched + users.already_mapped
        play_demo(server, [row["email"] for row in rows if not row["email"].startswith("admin@")])
        console.print("Try next (in another terminal, with .venv/bin on PATH):")
        for step in NEXT_STEPS:
            console.print(f"  {step}")
        stopping = stop or threading.Event()
        wake = threading.Event()
        spool = context.form_spool()
        web_server = build_server(
            console_app(wake, spool), "127.0.0.1", settings.console_port, log_level="warning"
        )
        web = threading.Thread(
            target=serve,
            args=(web_server, [background_task(wake=wake), spool.drain_forever]),
            name="leadbridge-console",
            daemon=True,
        )
        web.start()
        while web.is_alive() and not web_server.started:
            time.sleep(0.05)
        if web_server.started:
            _print_console_sign_in(f"http://127.0.0.1:{settings.console_port}/")
        else:
            console.print(
                f"[red]The console could not start on port {settings.console_port}[/red] "
                "(taken? set LEADBRIDGE_CONSOLE_PORT)."
            )
        console.print("Press Ctrl+C to stop.")
        try:
            with stop_on_signals(stopping):
                while not stopping.wait(0.5) and web.is_alive():
                    pass
        except KeyboardInterrupt:
            stopping.set()
        console.print("Stopping.")
        web_server.should_exit = True
        web.join(timeout=40)


def _print_console_sign_in(url: str) -> None:
    """The console's address and, the first time, the administrator it can be entered as
    (its password is shown this once; it is stored only as a hash)."""
    console.print(f"Console: [bold]{url}[/bold]", highlight=False)
    first = AuthService(context.database(), context.clock()).ensure_first_admin()
    if first is None:
        console.print("  Sign in with your leadbridge user (leadbridge users set-password).")
        return
    email, password = first
    console.print(f"  Sign in as {email} with the password {password}", highlight=False)
    console.print(
        "  (shown once: change it under Your account, or with "
        f"`leadbridge users set-password {email}`)",
        highlight=False,
    )
