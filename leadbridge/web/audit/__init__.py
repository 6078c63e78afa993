"""Audit log: who changed which prospect field, and which setting, when and from where."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area("audit", "Audit log", "/audit", Permission.AUDIT_VIEW, order=690, section="Admin")
