"""The HTTP app as `leadbridge serve` and `make run` serve it: form handlers, the API and the
console, with the Salesforce-side actions the console needs (a `ConsoleGateway`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI

from leadbridge.api import create_app
from leadbridge.api.forms import install_form_posts, install_spool
from leadbridge.api.intake import install_intake
from leadbridge.api.rate_limit import RateLimiter
from leadbridge.automation.form_posts import FormPostIntake
from leadbridge.automation.spool import SubmissionSpool
from leadbridge.cli import context
from leadbridge.cli.pull import intake_service
from leadbridge.sync.manual import sync_prospect
from leadbridge.sync.push import PushEngine
from leadbridge.sync.runner import SyncLease
from leadbridge.web.gateway import install_gateway
from leadbridge.web.workers import install_workers

PROSPECT_SYNC_WAIT_SECONDS = 20.0  # a page waits this long for a running sync to finish


class CliConsoleGateway:
    """The console's Salesforce-side actions over the CLI's database and connector."""

    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def verify(self) -> dict[str, Any]:
        return context.connector_service().verify().as_dict()

    def sync_prospects(self, prospect_ids: list[int]) -> dict[str, Any]:
        database, clock = context.database(), context.clock()
        lease = SyncLease(database, clock)
        with lease.held(wait=PROSPECT_SYNC_WAIT_SECONDS):
            engine = PushEngine(
                database, context.connector_service().client(), clock, guard=lease.check
            )
            if len(prospect_ids) == 1:
                return sync_prospect(engine, database, clock, str(prospect_ids[0])).as_dict()
            return engine.run_once(manual=True, prospect_ids=prospect_ids).as_dict()

    def sync_now(self) -> None:
        self.wake.set()

    def sync_users(self, *, create: bool) -> dict[str, Any]:
        report = context.connector_service().sync_users(create=create)
        return {
            "matched": report.matched,
            "created": report.created,
            "already_mapped": report.already_mapped,
            "unmatched": report.unmatched,
            "conflicts": report.conflicts,
        }

    def send_to_leadbridge(self, ids: list[str]) -> dict[str, Any]:
        return intake_service().send_json(ids)

    def import_csv(
        self,
        data: bytes,
        *,
        undelete: bool,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        service = intake_service()
        return service.import_csv(data, undelete=undelete, progress=progress).as_dict()


def console_app(
    wake: threading.Event,
    spool: SubmissionSpool,
    *,
    allowed_hosts: Sequence[str] | None = None,
    form_posts: FormPostIntake | None = None,
    workers: bool = False,
) -> FastAPI:
    """The whole HTTP app over the settings' database, connector and form spool (and the
    form intake, which keeps posts to apply later, when given: PostgreSQL)."""
    settings = context.settings()
    app = create_app(
        context.database(),
        context.clock(),
        form_rate=RateLimiter(settings.form_rate_per_minute, settings.form_rate_burst),
        allowed_hosts=allowed_hosts or settings.allowed_hosts,
    )
    install_intake(app, intake_service())
    install_spool(app, spool)
    if form_posts is not None:
        install_form_posts(app, form_posts)
    install_gateway(app, CliConsoleGateway(wake))
    if workers:  # `serve --no-sync`: rule runs and imports by the workers
        install_workers(app, _import_queue)
    return app


def _import_queue(
    data: bytes, *, user_id: int | None, actor: str, filename: str, undelete: bool
) -> int:
    from leadbridge.importing.jobs import enqueue_import

    run = enqueue_import(
        context.database(),
        context.clock(),
        data,
        user_id=user_id,
        actor=actor,
        filename=filename,
        undelete=undelete,
    )
    return run.id
