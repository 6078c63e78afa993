"""What console pages need from the Salesforce side, which the HTTP app never calls itself.

Whoever serves the app (`leadbridge serve`, `make run`) installs a `ConsoleGateway`
(`install_gateway`); without one, those actions say the server has no Salesforce connection.
Everything else the pages show comes from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fastapi import FastAPI, Request

from leadbridge.errors import ConfigurationError


class ConsoleGateway(Protocol):
    def verify(self) -> dict[str, Any]:
        """Describe the org and check the mappings: {"ok", "problems", "objects", ...}."""
        ...

    def sync_prospects(self, prospect_ids: list[int]) -> dict[str, Any]:
        """Push these prospects now (works while paused), waiting a little for a running
        sync: the push summary, with "blockers" and "errors" per prospect by id."""
        ...

    def sync_now(self) -> None:
        """Start the next sync cycle now rather than at the next poll."""
        ...

    def sync_users(self, *, create: bool) -> dict[str, Any]:
        """Match Salesforce users to leadbridge users (creating those missing with `create`)."""
        ...

    def send_to_leadbridge(self, ids: list[str]) -> dict[str, Any]:
        """Bring these Salesforce leads and contacts in: a result per id."""
        ...

    def import_csv(
        self,
        data: bytes,
        *,
        undelete: bool,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Import a CSV file: a result per row; `progress(rows done, rows in the file)` is
        called after each batch written."""
        ...


def install_gateway(app: FastAPI, gateway: ConsoleGateway) -> None:
    app.state.console_gateway = gateway


def gateway(request: Request) -> ConsoleGateway:
    found: ConsoleGateway | None = getattr(request.app.state, "console_gateway", None)
    if found is None:
        raise ConfigurationError("this server has no Salesforce connection")
    return found
