"""When "automatically create prospects" was switched on, and how far it has taken records.

Kept as sync cursors of the connector (object `Lead`; kinds below), written in the same
transaction as the setting (`ConnectorService.set`):

- `auto_create_since`: the switch-on time on Salesforce's clock (ISO 8601); "" while off.
- `auto_create_since_local`: the switch-on time on leadbridge's clock, when Salesforce could
  not be reached at the switch-on; the next sync cycle converts it to Salesforce's clock.
- `auto_create_seen`, per object: the newest CreatedDate taken so far.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadbridge.store.connector import ConnectorRepository

# Salesforce's clock is estimated from whole-second Date headers (within about half a second):
# the switch-on time is taken this much earlier, so a record created just after the switch-on
# is never missed (one created in the seconds before may be taken too).
SWITCH_ON_MARGIN = timedelta(seconds=2)
# A switch-on recorded on leadbridge's clock (Salesforce unreachable) is converted with the
# offset between the clocks at the next cycle, less this much (the offset may have moved).
LOCAL_MARGIN = timedelta(minutes=2)
SINCE = "auto_create_since"
SINCE_LOCAL = "auto_create_since_local"
SEEN = "auto_create_seen"
_ON = "Lead"  # the object the switch-on cursors are kept under
_OBJECTS = ("Lead", "Contact")
_OFF = ""


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class AutoCreateState:
    """The switch-on time and the high-water marks, over the connector's cursors."""

    def __init__(self, connector: ConnectorRepository) -> None:
        self.connector = connector

    def since(self) -> datetime | None:
        """The switch-on time on Salesforce's clock (None: not recorded)."""
        return _moment(self.connector.cursor(_ON, SINCE))

    def since_local(self) -> datetime | None:
        """The switch-on time on leadbridge's clock, waiting to be converted."""
        return _moment(self.connector.cursor(_ON, SINCE_LOCAL))

    def seen(self, object_name: str) -> datetime | None:
        return _moment(self.connector.cursor(object_name, SEEN))

    @property
    def recorded(self) -> bool:
        return any(
            self.connector.cursor(name, kind)
            for name, kind in ((_ON, SINCE), (_ON, SINCE_LOCAL), *((o, SEEN) for o in _OBJECTS))
        )

    def switched_on(self, at: datetime, *, org_clock: bool, now: datetime) -> None:
        """Start from `at` (Salesforce's time, or leadbridge's when `org_clock` is false);
        whatever an earlier switch-on had taken is forgotten."""
        self.switched_off(now)
        kind = SINCE if org_clock else SINCE_LOCAL
        self.connector.set_cursor(_ON, kind, at.isoformat(), now)

    def switched_off(self, now: datetime) -> None:
        for name, kind in ((_ON, SINCE), (_ON, SINCE_LOCAL), *((o, SEEN) for o in _OBJECTS)):
            if self.connector.cursor(name, kind):
                self.connector.set_cursor(name, kind, _OFF, now)

    def set_since(self, at: datetime, now: datetime) -> None:
        """Record the switch-on time on Salesforce's clock (a local one is then done with)."""
        self.connector.set_cursor(_ON, SINCE, at.isoformat(), now)
        if self.connector.cursor(_ON, SINCE_LOCAL):
            self.connector.set_cursor(_ON, SINCE_LOCAL, _OFF, now)

    def set_seen(self, object_name: str, at: datetime, now: datetime) -> None:
        self.connector.set_cursor(object_name, SEEN, at.isoformat(), now)
