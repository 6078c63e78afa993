"""Every change event schema the org has served, by id (GetSchema needs old ones too).

The current schemas are built from the org's schema at start and recorded in the org
database, so a schema changed by a new custom field (a restart with another schema file)
gets a new id while the old id stays answerable.
"""

from __future__ import annotations

from leadbridge.sandbox.schema import OrgSchema
from leadbridge.sandbox.storage import OrgDatabase

from .layout import EventLayout
from .topics import capturable

_TABLE = """
CREATE TABLE IF NOT EXISTS _cdc_schemas (
    schema_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    schema_json TEXT NOT NULL
)
"""


class SchemaRegistry:
    def __init__(self, schema: OrgSchema, db: OrgDatabase) -> None:
        self.db = db
        self._layouts = {obj.name: EventLayout(obj) for obj in schema.objects() if capturable(obj)}
        with db.lock:
            db.conn.execute(_TABLE)
            db.conn.executemany(
                "INSERT OR IGNORE INTO _cdc_schemas (schema_id, entity, schema_json) "
                "VALUES (?, ?, ?)",
                [(lay.schema_id, lay.entity, lay.schema_json) for lay in self._layouts.values()],
            )

    def layout(self, entity: str) -> EventLayout:
        return self._layouts[entity]

    def schema_json(self, schema_id: str) -> str | None:
        with self.db.lock:
            row = self.db.conn.execute(
                "SELECT schema_json FROM _cdc_schemas WHERE schema_id = ?", (schema_id,)
            ).fetchone()
        return None if row is None else str(row[0])
