"""Prospects: the searchable list (filters, sort, keyset pages, bulk actions) and each
prospect's Insight page. Sales users see only the prospects assigned to them."""

from leadbridge.domain.access import Permission
from leadbridge.web.areas import Area

AREA = Area("prospects", "Prospects", "/prospects", Permission.PROSPECTS_VIEW, order=10)
