"""The org's records and the rules Salesforce applies when they are saved (no HTTP here).

Every write goes through one pipeline: check field values, fill defaults and derived fields,
check required fields and references, apply object-specific rules, write, then run validation
rules and duplicate rules against the written row inside a savepoint, so a failure leaves
nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from . import assignment, ids, save_rules
from .clock import OrgClock, format_datetime
from .exceptions import SalesforceError, entity_is_deleted, invalid_field_on_sobject, not_found
from .records import (
    CASCADE_DELETES,
    DEFAULT_MEMBER_STATUSES,
    LEAD_STATUSES,
)
from .schema import FieldDef, ObjectDef, OrgSchema
from .storage import OrgDatabase, quote
from .values import StoredValue, from_storage, to_storage

Row = dict[str, StoredValue]
# The columns insert_with_id fills on every record, in its order, after the Id.
_HISTORY_STAMPS = (
    "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
    "SystemModstamp",
)  # fmt: skip
_PLAIN_TEXT = frozenset({"string", "textarea", "phone", "url", "picklist", "combobox", "email"})
DEFAULT_VERSION = "59.0"


@dataclass(frozen=True)
class SaveOptions:
    """Who saves, and the request headers that change how a save behaves."""

    actor_id: str | None = None
    allow_duplicate_save: bool = False
    api_version: str = DEFAULT_VERSION
    # Lead assignment: assignment.ACTIVE (the active rule), an AssignmentRule ID, or None (off).
    assignment_rule: str | None = None


class Org:
    """All records of one sandbox org, with Salesforce's save rules."""

    def __init__(
        self,
        schema: OrgSchema,
        db: OrgDatabase,
        clock: OrgClock,
        *,
        admin_username: str,
        org_name: str = "leadbridge Sandbox",
    ) -> None:
        self.schema = schema
        self.db = db
        self.clock = clock
        self.admin_username = admin_username
        self.org_name = org_name
        # validation rules' conditions as SQL: (object, condition, day) -> (sql, params)
        self.compiled_rules: dict[tuple[str, str, date], tuple[str, tuple[Any, ...]]] = {}
        # INSERT statements by (object, columns): the schema does not change while serving
        self._insert_statements: dict[tuple[str, tuple[str, ...]], str] = {}
        self._columns: dict[str, list[str]] = {}  # of `SELECT *` by table (load)
        self.ensure_bootstrap()

    # ---------------------------------------------------------------- bootstrap and lookups

    def ensure_bootstrap(self) -> None:
        """The records every org has: the Organization, its admin user, the lead statuses."""
        with self.db.transaction():
            if self.db.get_meta("org_id") is None:
                org_obj = self.object("Organization")
                org_id = ids.make_id(org_obj.key_prefix, self.db.allocate_rowids(org_obj))
                self.db.set_meta("org_id", org_id)
                self.db.set_meta("created", format_datetime(self.clock.now()))
                admin = self.insert_raw(
                    "User",
                    [self._admin_user_values()],
                )[0]
                self.db.set_meta("admin_user_id", admin)
                self.insert_with_id(
                    org_obj,
                    org_id,
                    {
                        "Name": self.org_name,
                        "IsSandbox": 1,
                        "OrganizationType": "Developer Edition",
                        "InstanceName": "LB1",
                        "TimeZoneSidKey": "GMT",
                    },
                )
                self.insert_raw(
                    "LeadStatus",
                    [
                        {
                            "MasterLabel": label,
                            "ApiName": label,
                            "SortOrder": order,
                            "IsDefault": default,
                            "IsConverted": converted,
                        }
                        for order, (label, default, converted) in enumerate(LEAD_STATUSES, 1)
                    ],
                )

    def _admin_user_values(self) -> dict[str, Any]:
        return {
            "Username": self.admin_username,
            "Email": self.admin_username,
            "FirstName": "Sandbox",
            "LastName": "Admin",
            "Alias": "sadmin",
            "IsActive": True,
            "Title": "System Administrator",
        }

    @property
    def org_id(self) -> str:
        value = self.db.get_meta("org_id")
        assert value is not None
        return value

    @property
    def admin_user_id(self) -> str:
        value = self.db.get_meta("admin_user_id")
        assert value is not None
        return value

    @property
    def created(self) -> str:
        return self.db.get_meta("created") or format_datetime(self.clock.now())

    def object(self, name: str) -> ObjectDef:
        obj = self.schema.object(name)
        if obj is None:
            raise not_found()
        return obj

    def object_for_id(self, record_id: str) -> ObjectDef:
        obj = self.schema.object_for_id(record_id)
        if obj is None:
            raise SalesforceError("MALFORMED_ID", f"malformed id {record_id}", fields=["Id"])
        return obj

    def active_user_id(self, username: str) -> str | None:
        row = self.db.conn.execute(
            'SELECT "Id" FROM "User" WHERE "Username" = ? AND "IsActive" = 1 AND "IsDeleted" = 0',
            (username,),
        ).fetchone()
        return None if row is None else str(row[0])

    def user_info(self, user_id: str) -> Row:
        row = self.load(self.object("User"), user_id, include_deleted=True)
        if row is None:
            raise not_found()
        return row

    def load(self, obj: ObjectDef, record_id: str, *, include_deleted: bool = False) -> Row | None:
        """The stored row of one record (column name → stored value), or None."""
        cursor = self.db.conn.execute(
            f'SELECT * FROM {quote(obj.name)} WHERE "Id" = ?', (record_id,)
        )
        values = cursor.fetchone()
        if values is None:
            return None
        names = self._columns.get(obj.name)
        if names is None or len(names) != len(values):
            names = self._columns[obj.name] = [column[0] for column in cursor.description]
        row = dict(zip(names, values, strict=True))
        if row["IsDeleted"] and not include_deleted:
            return None
        return row

    def require_live(self, obj: ObjectDef, record_id: str) -> Row:
        """A live record for update/delete; NOT_FOUND or ENTITY_IS_DELETED otherwise."""
        try:
            record_id = ids.to18(record_id)
        except ValueError:
            raise not_found() from None
        if record_id[:3] != obj.key_prefix:
            raise SalesforceError(
                "MALFORMED_ID",
                f"{obj.label} ID: id value of incorrect type: {record_id}",
                fields=["Id"],
            )
        row = self.load(obj, record_id, include_deleted=True)
        if row is None:
            raise not_found()
        if row["IsDeleted"]:
            raise entity_is_deleted()
        return row

    # ---------------------------------------------------------------- reading

    def retrieve(
        self,
        object_name: str,
        record_id: str,
        fields: Iterable[str] | None = None,
        *,
        version: str = DEFAULT_VERSION,
    ) -> dict[str, Any]:
        obj = self.object(object_name)
        selected = self._field_list(obj, fields)
        with self.db.lock:
            row = self.require_live(obj, record_id)
        return self.to_json(obj, row, selected, version=version)

    def retrieve_many(
        self,
        object_name: str,
        record_ids: list[str],
        fields: Iterable[str] | None,
        *,
        version: str = DEFAULT_VERSION,
    ) -> list[dict[str, Any] | None]:
        """Records in the order asked for; None where an id is invalid, missing or deleted."""
        obj = self.object(object_name)
        selected = self._field_list(obj, fields)
        wanted: list[str | None] = []
        for record_id in record_ids:
            try:
                wanted.append(ids.to18(record_id))
            except ValueError:
                wanted.append(None)
        found = self._rows_by_id(obj, [value for value in wanted if value])
        return [
            self.to_json(obj, found[key.upper()], selected, version=version)
            if key and key.upper() in found
            else None
            for key in wanted
        ]

    def _rows_by_id(self, obj: ObjectDef, record_ids: list[str]) -> dict[str, Row]:
        rows: dict[str, Row] = {}
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            with self.db.lock:
                cursor = self.db.conn.execute(
                    f'SELECT * FROM {quote(obj.name)} WHERE "Id" IN ({marks}) AND "IsDeleted" = 0',
                    chunk,
                )
                names = [column[0] for column in cursor.description]
                for values in cursor.fetchall():
                    row = dict(zip(names, values, strict=True))
                    rows[str(row["Id"]).upper()] = row
        return rows

    def _field_list(self, obj: ObjectDef, fields: Iterable[str] | None) -> list[FieldDef]:
        if fields is None:
            return list(obj.iter_fields())
        selected = []
        for name in fields:
            name = name.strip()
            if not name:
                continue
            field = obj.field(name)
            if field is None:
                raise SalesforceError(
                    "INVALID_FIELD",
                    f"No such column '{name}' on entity '{obj.name}'. If you are attempting to "
                    "use a custom field, be sure to append the '__c' after the custom field name. "
                    "Please reference your WSDL or the describe call for the appropriate names.",
                )
            selected.append(field)
        return selected

    def to_json(
        self, obj: ObjectDef, row: Row, fields: list[FieldDef], *, version: str
    ) -> dict[str, Any]:
        record: dict[str, Any] = {"attributes": self.attributes(obj, str(row["Id"]), version)}
        for field in fields:
            record[field.name] = from_storage(field, row.get(field.name))
        return record

    @staticmethod
    def attributes(obj: ObjectDef, record_id: str, version: str) -> dict[str, str]:
        return {
            "type": obj.name,
            "url": f"/services/data/v{version}/sobjects/{obj.name}/{record_id}",
        }

    def find_by_external_id(self, obj: ObjectDef, field_name: str, value: str) -> list[str]:
        field = obj.field(field_name)
        if field is None or not (field.external_id or field.name == "Id"):
            raise not_found(
                f"Provided external ID field does not exist or is not accessible: {field_name}"
            )
        with self.db.lock:
            rows = self.db.conn.execute(
                f'SELECT _rowid, "Id" FROM {quote(obj.name)} WHERE {quote(field.name)} = ? '
                'AND "IsDeleted" = 0',
                (value,),
            ).fetchall()
        # sorted here: ORDER BY _rowid would tempt SQLite to scan the table instead of the index
        return [str(row[1]) for row in sorted(rows)]

    # ---------------------------------------------------------------- writing

    def create(
        self, object_name: str, values: Mapping[str, Any], options: SaveOptions | None = None
    ) -> str:
        with self.db.transaction():
            return self._create(self.object(object_name), values, options or SaveOptions())

    def _create(self, obj: ObjectDef, values: Mapping[str, Any], options: SaveOptions) -> str:
        """Create one record; the caller holds the transaction or savepoint that undoes it."""
        if not obj.createable:
            raise SalesforceError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support insert"
            )
        row = save_rules.prepare(self, obj, values, None, options)
        row["CreatedById"] = options.actor_id or self.admin_user_id
        record_id = ids.make_id(obj.key_prefix, self.db.allocate_rowids(obj))
        written = self.insert_with_id(obj, record_id, row)
        self._after_insert(obj, record_id, row, options)
        save_rules.run_rules(self, obj, record_id, "create", options, written)
        owner = assignment.apply(self, obj, record_id, options.assignment_rule)
        if owner and owner["OwnerId"] != row.get("OwnerId"):
            # The lead is created with the owner the rule picked: no history row.
            self.db.conn.execute(
                f'UPDATE {quote(obj.name)} SET "OwnerId" = ? WHERE "Id" = ?',
                (owner["OwnerId"], record_id),
            )
        return record_id

    def update(
        self,
        object_name: str,
        record_id: str,
        values: Mapping[str, Any],
        options: SaveOptions | None = None,
    ) -> str:
        with self.db.transaction():
            return self._update(
                self.object(object_name), record_id, values, options or SaveOptions()
            )

    def _update(
        self, obj: ObjectDef, record_id: str, values: Mapping[str, Any], options: SaveOptions
    ) -> str:
        """Update one record; the caller holds the transaction or savepoint that undoes it."""
        existing = self.require_live(obj, record_id)
        if obj.name == "Lead" and existing.get("IsConverted"):
            raise SalesforceError(
                "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", fields=[]
            )
        changes = save_rules.prepare(self, obj, values, existing, options)
        written = self.write_update(obj, existing, changes, options)
        save_rules.run_rules(self, obj, str(existing["Id"]), "update", options, written)
        owner = assignment.apply(self, obj, str(existing["Id"]), options.assignment_rule)
        if owner:
            saved = self.require_live(obj, str(existing["Id"]))
            if owner["OwnerId"] != saved.get("OwnerId"):
                self.write_update(obj, saved, owner, options)
        return str(existing["Id"])

    def upsert(
        self,
        object_name: str,
        field_name: str,
        value: str,
        values: Mapping[str, Any],
        options: SaveOptions | None = None,
    ) -> tuple[str, bool]:
        """Create or update by external ID; returns (id, created)."""
        obj = self.object(object_name)
        for key in values:
            if key.lower() in {"id", field_name.lower()} and key != "attributes":
                raise SalesforceError(
                    "INVALID_FIELD",
                    f"The field {key} can't be specified in the body when upserting by "
                    f"{field_name}. Specify it only in the URL.",
                    fields=[key],
                )
        options = options or SaveOptions()
        with self.db.transaction():
            field = obj.field(field_name)
            if field is not None and field.name == "Id":
                if value:
                    return self._update(obj, value, values, options), False
                return self._create(obj, values, options), True
            matches = self.find_by_external_id(obj, field_name, value)
            if len(matches) > 1:
                raise SalesforceError(
                    "MULTIPLE_RECORDS",
                    f"Multiple records found for {field_name}: {value}",
                    status=300,
                    extra={"matches": matches},
                )
            if matches:
                return self._update(obj, matches[0], values, options), False
            assert field is not None
            full = {**values, field.name: value}
            return self._create(obj, full, options), True

    def delete(self, record_id: str, options: SaveOptions | None = None) -> None:
        options = options or SaveOptions()
        try:
            record_id = ids.to18(record_id)
        except ValueError:
            raise not_found() from None
        obj = self.object_for_id(record_id)
        if not obj.deletable:
            raise SalesforceError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support delete"
            )
        with self.db.transaction():
            row = self.require_live(obj, record_id)
            now = format_datetime(self.clock.now())
            self._soft_delete(obj, row, now, str(row["Id"]), options)

    def _soft_delete(
        self, obj: ObjectDef, row: Row, now: str, root: str, options: SaveOptions
    ) -> None:
        record_id = str(row["Id"])
        self.db.conn.execute(
            f'UPDATE {quote(obj.name)} SET "IsDeleted" = 1, "SystemModstamp" = ?, '
            '"LastModifiedDate" = ?, "LastModifiedById" = ? WHERE "Id" = ?',
            (now, now, options.actor_id or self.admin_user_id, record_id),
        )
        self.db.conn.execute(
            "INSERT OR REPLACE INTO _recycle_bin (record_id, object_name, deleted_date, "
            "cascade_root) VALUES (?, ?, ?, ?)",
            (record_id, obj.name, now, root if root != record_id else None),
        )
        for child_name, field_name in CASCADE_DELETES:
            child = self.schema.object(child_name)
            if child is None or field_name.lower() not in child.fields:
                continue
            cursor = self.db.conn.execute(
                f"SELECT * FROM {quote(child.name)} WHERE {quote(field_name)} = ? "
                'AND "IsDeleted" = 0',
                (record_id,),
            )
            names = [column[0] for column in cursor.description]
            for values in cursor.fetchall():
                self._soft_delete(child, dict(zip(names, values, strict=True)), now, root, options)

    def undelete(self, record_id: str, options: SaveOptions | None = None) -> None:
        options = options or SaveOptions()
        try:
            record_id = ids.to18(record_id)
        except ValueError:
            raise not_found() from None
        obj = self.object_for_id(record_id)
        with self.db.transaction():
            row = self.load(obj, record_id, include_deleted=True)
            if row is None:
                raise not_found()
            if not row["IsDeleted"]:
                raise SalesforceError(
                    "UNDELETE_FAILED", "Entity is not in the recycle bin", fields=[]
                )
            if row.get("MasterRecordId"):
                raise SalesforceError(
                    "UNDELETE_FAILED", "Cannot undelete a record deleted by a merge", fields=[]
                )
            now = format_datetime(self.clock.now())
            restored = [(obj.name, record_id)] + [
                (str(child[0]), str(child[1]))
                for child in self.db.conn.execute(
                    "SELECT object_name, record_id FROM _recycle_bin WHERE cascade_root = ?",
                    (record_id,),
                ).fetchall()
            ]
            for object_name, restored_id in restored:
                self.db.conn.execute(
                    f'UPDATE {quote(object_name)} SET "IsDeleted" = 0, "SystemModstamp" = ?, '
                    '"LastModifiedDate" = ?, "LastModifiedById" = ? WHERE "Id" = ?',
                    (now, now, options.actor_id or self.admin_user_id, restored_id),
                )
                self.db.conn.execute("DELETE FROM _recycle_bin WHERE record_id = ?", (restored_id,))

    # ---------------------------------------------------------------- low-level writes

    def insert_with_id(self, obj: ObjectDef, record_id: str, row: Row) -> Row:
        """Insert one record; returns the row as written (every column given a value)."""
        now = format_datetime(self.clock.now())
        actor = row.get("CreatedById") or self._actor_or_admin()
        full: Row = {
            **row,
            "Id": record_id,
            "IsDeleted": 0,
            "CreatedDate": row.get("CreatedDate") or now,
            "CreatedById": actor,
            "LastModifiedDate": row.get("LastModifiedDate") or now,
            "LastModifiedById": actor,
            "SystemModstamp": row.get("SystemModstamp") or now,
        }
        self.db.conn.execute(
            self._insert_sql(obj, tuple(full)), (ids.sequence_of(record_id), *full.values())
        )
        return full

    def _insert_sql(self, obj: ObjectDef, columns: tuple[str, ...]) -> str:
        """The INSERT statement for these columns, built once per object and column list."""
        key = (obj.name, columns)
        sql = self._insert_statements.get(key)
        if sql is None:
            names = ", ".join(["_rowid", *(quote(name) for name in columns)])
            marks = ", ".join("?" * (len(columns) + 1))
            sql = f"INSERT INTO {quote(obj.name)} ({names}) VALUES ({marks})"
            self._insert_statements[key] = sql
        return sql

    def _actor_or_admin(self) -> str | None:
        return self.db.get_meta("admin_user_id")

    def write_update(
        self, obj: ObjectDef, existing: Row, changes: Row, options: SaveOptions
    ) -> Row:
        """Write the changes (and the history they make); returns the row as it now is."""
        now = format_datetime(self.clock.now())
        changes = {
            **changes,
            "LastModifiedDate": now,
            "LastModifiedById": options.actor_id or self.admin_user_id,
            "SystemModstamp": now,
        }
        assignments = ", ".join(f"{quote(name)} = ?" for name in changes)
        self.db.conn.execute(
            f'UPDATE {quote(obj.name)} SET {assignments} WHERE "Id" = ?',
            (*changes.values(), existing["Id"]),
        )
        self._track_history(obj, existing, changes, now)
        return {**existing, **changes}

    def _track_history(self, obj: ObjectDef, existing: Row, changes: Row, now: str) -> None:
        """One <Object>History row per tracked field whose value changed, in the update's
        transaction, dated on the org clock like the update (field history tracking)."""
        if not obj.history_tracked:
            return
        history_name, parent = obj.history_names()
        actor = changes["LastModifiedById"]
        rows = []
        for name in obj.history_tracked:
            field = obj.field(name)
            if field is None or field.name not in changes:
                continue
            old, new = existing.get(field.name), changes[field.name]
            if old == new:
                continue
            rows.append((field.name, _history_text(field, old), _history_text(field, new)))
        if not rows:
            return
        history = self.object(history_name)
        first = self.db.allocate_rowids(history, len(rows))
        columns = (parent, "Field", "OldValue", "NewValue", *_HISTORY_STAMPS)
        stamps = (0, now, actor, now, actor, now)
        self.db.conn.executemany(
            self._insert_sql(history, ("Id", *columns)),
            [
                (
                    first + offset,
                    ids.make_id(history.key_prefix, first + offset),
                    existing["Id"],
                    *values,
                    *stamps,
                )
                for offset, values in enumerate(rows)
            ],
        )

    def _after_insert(self, obj: ObjectDef, record_id: str, row: Row, options: SaveOptions) -> None:
        if obj.name == "Campaign":
            member_status = self.object("CampaignMemberStatus")
            for order, (label, default, responded) in enumerate(DEFAULT_MEMBER_STATUSES, 1):
                status_id = ids.make_id(
                    member_status.key_prefix, self.db.allocate_rowids(member_status)
                )
                self.insert_with_id(
                    member_status,
                    status_id,
                    {
                        "CampaignId": record_id,
                        "Label": label,
                        "IsDefault": int(default),
                        "HasResponded": int(responded),
                        "SortOrder": order,
                    },
                )
        if obj.name == "CampaignMemberStatus" and row.get("IsDefault"):
            self.db.conn.execute(
                'UPDATE "CampaignMemberStatus" SET "IsDefault" = 0 WHERE "CampaignId" = ? '
                'AND "Id" != ?',
                (row["CampaignId"], record_id),
            )
        if obj.name == "OpportunityContactRole" and row.get("IsPrimary"):
            self.db.conn.execute(
                'UPDATE "OpportunityContactRole" SET "IsPrimary" = 0 WHERE "OpportunityId" = ? '
                'AND "Id" != ?',
                (row["OpportunityId"], record_id),
            )

    def insert_raw(self, object_name: str, rows: list[Mapping[str, Any]]) -> list[str]:
        """Insert trusted rows fast (seeding): values converted, formulas filled, no rules.

        Rows may carry CreatedDate / LastModifiedDate / SystemModstamp / CreatedById. Values
        already in stored form (Salesforce datetimes, 18-character ids) skip conversion.
        """
        obj = self.object(object_name)
        if not rows:
            return []
        first = self.db.allocate_rowids(obj, len(rows))
        record_ids = [ids.make_id(obj.key_prefix, first + offset) for offset in range(len(rows))]
        now = format_datetime(self.clock.now())
        admin = self.db.get_meta("admin_user_id")
        template = self._defaults_raw(obj, admin)
        template.update(
            CreatedDate=now, LastModifiedDate=now, SystemModstamp=now, CreatedById=admin
        )
        fields = self._raw_fields(obj, rows)
        columns = list(dict.fromkeys([*template, *(field.name for field in fields.values())]))
        formulas = [field for field in obj.iter_fields() if field.formula]
        prepared = []
        # Plain text passes through untouched: the hot path when seeding millions of rows.
        plain = {name for name, field in fields.items() if field.type in _PLAIN_TEXT}
        for offset, values in enumerate(rows):
            row = dict(template)
            for name, value in values.items():
                field = fields[name]
                if name in plain and value.__class__ is str:
                    row[field.name] = value
                else:
                    row[field.name] = _raw_value(field, value)
            if formulas or obj.name == "Opportunity":
                save_rules.derive(obj, row)
            if "LastModifiedById" not in values:
                row["LastModifiedById"] = row["CreatedById"]
            row["Id"] = record_ids[offset]
            prepared.append(row)
        columns = list(dict.fromkeys([*columns, *prepared[0]]))
        sql = (
            f"INSERT INTO {quote(obj.name)} (_rowid, {', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' * (len(columns) + 1))})"
        )
        with self.db.transaction():
            self.db.conn.executemany(
                sql,
                [
                    (first + offset, *[row.get(column) for column in columns])
                    for offset, row in enumerate(prepared)
                ],
            )
            if obj.name == "Campaign":
                for record_id in record_ids:
                    self._after_insert(obj, record_id, {}, SaveOptions())
        return record_ids

    @staticmethod
    def _raw_fields(obj: ObjectDef, rows: list[Mapping[str, Any]]) -> dict[str, FieldDef]:
        fields: dict[str, FieldDef] = {}
        for values in rows:
            for name in values:
                if name not in fields:
                    field = obj.field(name)
                    if field is None:
                        raise invalid_field_on_sobject(name, obj.name)
                    fields[name] = field
        return fields

    def _defaults_raw(self, obj: ObjectDef, admin: str | None) -> Row:
        row = save_rules.defaults(self, obj, SaveOptions(actor_id=admin)) if admin else {}
        if not admin:
            row = {f.name: 0 for f in obj.iter_fields() if f.type == "boolean"}
        return row

    @contextmanager
    def bulk_loading(self, object_name: str) -> Iterator[None]:
        """Load many rows with the table's secondary indexes dropped, then rebuild them."""
        with self.db.lock, self.db.deferred_indexes(self.object(object_name)):
            yield

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several saves in one transaction (composite allOrNone)."""
        with self.db.transaction():
            yield

    def today(self) -> date:
        return self.clock.now().date()

    def now(self) -> datetime:
        return self.clock.now()


def _history_text(field: FieldDef, value: Any) -> str | None:
    """A stored value as field history shows it (text; booleans as true/false)."""
    if value is None or value == "":
        return None
    if field.type == "boolean":
        return "true" if value else "false"
    return str(value)[:255]


def _raw_value(field: FieldDef, value: Any) -> StoredValue:
    """Stored form of a trusted value, skipping conversion when it is already stored form."""
    if isinstance(value, bool):
        return int(value)
    if value is None:
        return 0 if field.type == "boolean" else None
    if isinstance(value, str):
        if field.type == "datetime" and len(value) == 28 and value.endswith("+0000"):
            return value
        if field.type in {"reference", "id"} and len(value) == 18:
            return value
        if field.is_text and field.type not in {"reference", "id"}:
            return value
    if isinstance(value, int | float) and field.type in {"int", "double", "currency", "percent"}:
        return value
    return to_storage(field, value)
