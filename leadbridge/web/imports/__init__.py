"""Import: upload a CSV of prospects, follow its progress, read or download its report."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area("imports", "Import", "/imports", Permission.IMPORT, order=160, section="Marketing")
