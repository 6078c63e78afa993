"""The connector: its status (live), Verify / Pause / Resume / Sync now, and its settings."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area(
    "connector", "Connector", "/connector", Permission.CONNECTOR_VIEW, order=700, section="Admin"
)
