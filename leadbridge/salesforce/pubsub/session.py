"""The REST connection's session, lent to the change stream (`stream.Session`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from leadbridge.salesforce.connection import Connection


class ConnectionSession:
    """The stream authenticates with the session the REST client logged in with."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def current(self) -> tuple[str, str]:
        sf = self.connection.logged_in()
        return str(sf.session_id), f"https://{sf.sf_instance}"

    def renew(self) -> None:
        self.connection.login()

    def tooling_query(self, soql: str) -> list[dict[str, Any]]:
        """One Tooling API query (a REST call, counted like any other)."""
        found = self.connection.call(
            "query", lambda sf: sf.toolingexecute(f"query/?q={quote(soql)}")
        )
        return [dict(row) for row in (found or {}).get("records") or []]
