"""`leadbridge run` (`make run`): the sandbox org and leadbridge, connected and ready."""

from __future__ import annotations

import threading

from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.output import console
from leadbridge.cli.sandbox import seed_if_empty, summary_lines
from leadbridge.sandbox import SandboxConfig, SandboxServer

NEXT_STEPS = (
    "leadbridge connector show",
    "leadbridge fields mappings",
    "leadbridge users list",
    "leadbridge prospects add ada@example.com --first-name Ada --last-name Lovelace",
    "leadbridge prospects list",
)


def run_product(*, demo_leads: int = 200, stop: threading.Event | None = None) -> None:
    """Start the sandbox, connect leadbridge to it, verify, sync users; serve until stopped."""
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
        console.print("Try next (in another terminal, with .venv/bin on PATH):")
        for step in NEXT_STEPS:
            console.print(f"  {step}")
        console.print("Press Ctrl+C to stop.")
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            console.print("Stopping.")
