"""Field mappings: prospect field ↔ Lead and Contact fields, sync behaviour, custom fields."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area(
    "fields", "Field mappings", "/fields", Permission.FIELDS_VIEW, order=710, section="Admin"
)
