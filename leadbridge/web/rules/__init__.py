"""Automation rules: the list, the criteria builder with its preview, pause, resume, run now."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area("rules", "Automation rules", "/rules", Permission.RULES_VIEW, order=40)
