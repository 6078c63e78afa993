"""Planner statistics kept fresh on PostgreSQL after large changes.

PostgreSQL plans a query from each table's statistics, which ANALYZE (usually autovacuum)
gathers. A table that grew from nothing by a bulk enqueue or an import has none until then,
and the planner takes it for nearly empty: the push's claim, `prospect_id = ANY(1,000 ids)`,
was planned as a walk of every pending item (0.5 s per wave at 100,000 pending, growing with
the backlog) instead of a look-up of the prospect index (11 ms). Autovacuum may be off, or
behind a burst by a minute; leadbridge analyzes the tables it depends on when they changed by
more than autovacuum's own threshold since their last analysis. On SQLite nothing is done.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from leadbridge.store.database import Database

log = logging.getLogger("leadbridge.store")

# The tables the sync's hot queries read by key (autovacuum's default rule: 50 rows + 10 %).
WATCHED = (
    "outbox",
    "prospects",
    "prospect_crm_keys",
    "crm_sync_state",
    "automation_rule_matches",
    "form_posts",
)
THRESHOLD_ROWS = 50
THRESHOLD_SHARE = 0.1

_STALE = text(
    "SELECT relname FROM pg_stat_user_tables"
    " WHERE schemaname = current_schema() AND relname = ANY(:tables)"
    " AND n_mod_since_analyze > :rows + :share * GREATEST(n_live_tup, 0)"
)


def analyze_stale_tables(db: Database, tables: tuple[str, ...] = WATCHED) -> list[str]:
    """ANALYZE each watched table whose statistics are stale; the tables analyzed."""
    if db.backend != "postgresql":
        return []
    with db.session() as session:
        stale = list(
            session.scalars(
                _STALE,
                {"tables": list(tables), "rows": THRESHOLD_ROWS, "share": THRESHOLD_SHARE},
            )
        )
        for table in stale:
            quoted = session.get_bind().dialect.identifier_preparer.quote(table)
            session.execute(text(f"ANALYZE {quoted}"))
    if stale:
        log.info("planner statistics refreshed: %s", ", ".join(stale))
    return stale
