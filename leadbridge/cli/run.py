"""`leadbridge run` (`make run`): the sandbox org and leadbridge, connected and ready."""

from __future__ import annotations

import threading

from rich.markup import escape

from leadbridge.cli import context
from leadbridge.cli.demo import play_demo
from leadbridge.cli.output import console
from leadbridge.cli.sandbox import seed_if_empty, summary_lines
from leadbridge.cli.sync import stop_on_signals
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sync.loop import sync_loop

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
        rows = users.created + users.matched + users.already_mapped
        play_demo(server, [row["email"] for row in rows if not row["email"].startswith("admin@")])
        console.print("Try next (in another terminal, with .venv/bin on PATH):")
        for step in NEXT_STEPS:
            console.print(f"  {step}")
        console.print("Press Ctrl+C to stop.")
        stopping = stop or threading.Event()
        loop = threading.Thread(target=_sync_forever, args=(stopping,), daemon=True)
        loop.start()
        try:
            with stop_on_signals(stopping):
                stopping.wait()
        except KeyboardInterrupt:
            stopping.set()
        console.print("Stopping.")
        loop.join(timeout=30)


def _sync_forever(stop: threading.Event) -> None:
    """Keep pushing in the background, at the connector's poll interval, under the lease."""
    runner = context.SyncRunner(stop=stop)
    try:
        sync_loop(runner.run_once, stop, interval=runner.poll_interval)
    finally:
        runner.close()
