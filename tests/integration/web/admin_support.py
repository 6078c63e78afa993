"""Support for the Admin pages' tests: a connector on the console's database, connected to
the sandbox org over HTTPS, and the console gateway the served app would have over it."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from leadbridge.cli.context import make_client
from leadbridge.connector.service import ConnectorService
from leadbridge.ports import SystemClock
from leadbridge.store.database import Database
from leadbridge.store.secret_box import SecretBox
from leadbridge.store.settings_changes import SettingsChange, SettingsChangeRepository
from leadbridge.web.gateway import install_gateway
from tests.conftest import SandboxClient


class ServiceGateway:
    """The console's Salesforce-side actions over a real ConnectorService (sandbox org)."""

    def __init__(self, service: ConnectorService) -> None:
        self.service = service
        self.woken = threading.Event()

    def verify(self) -> dict[str, Any]:
        return self.service.verify().as_dict()

    def sync_now(self) -> None:
        self.woken.set()

    def sync_users(self, *, create: bool) -> dict[str, Any]:
        report = self.service.sync_users(create=create)
        return {
            "matched": report.matched,
            "created": report.created,
            "already_mapped": report.already_mapped,
            "unmatched": report.unmatched,
            "conflicts": report.conflicts,
        }

    def sync_prospects(self, prospect_ids: list[int]) -> dict[str, Any]:
        raise NotImplementedError

    def send_to_leadbridge(self, ids: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    def import_csv(self, data: bytes, *, undelete: bool) -> dict[str, Any]:
        raise NotImplementedError


def connect(database: Database, sandbox: SandboxClient, tmp_path: Path) -> ConnectorService:
    """The sandbox org added as the connector (paused, not verified yet)."""
    service = ConnectorService(
        database, SystemClock(), make_client, SecretBox(tmp_path / "secret.key")
    )
    service.add_sandbox(Path(sandbox.credentials["ca_file"]).parent)
    return service


def with_gateway(app: FastAPI, service: ConnectorService) -> ServiceGateway:
    found = ServiceGateway(service)
    install_gateway(app, found)
    return found


def changes(database: Database, area: str) -> list[SettingsChange]:
    with database.session(readonly=True) as session:
        return SettingsChangeRepository(session).recent(area)


def notice(response: Any) -> str:
    from urllib.parse import unquote

    return unquote(response.cookies.get("lb_notice") or "")


def field_errors(html: str) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', html)
