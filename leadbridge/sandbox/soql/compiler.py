"""Compiles a SOQL statement into parameterised SQLite SQL over the sandbox's tables.

Tables are named after the object and hold one column per field (see the storage contract in
docs); `_rowid` is the internal primary key and the final ORDER BY tie-breaker, so paging
over a statement is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from leadbridge.sandbox.exceptions import invalid_type
from leadbridge.sandbox.schema import ObjectDef, OrgSchema
from leadbridge.sandbox.soql.ast import Query
from leadbridge.sandbox.soql.conditions import ConditionCompiler, Context
from leadbridge.sandbox.soql.dates import utc_today
from leadbridge.sandbox.soql.errors import invalid_field_at, located, malformed_at
from leadbridge.sandbox.soql.parser import parse, parse_condition
from leadbridge.sandbox.soql.records import RecordShape
from leadbridge.sandbox.soql.scopes import CorrelatedScope, JoinScope
from leadbridge.sandbox.soql.select import plan_select
from leadbridge.sandbox.soql.values import SqlParam

_UNSORTABLE_TYPES = frozenset({"multipicklist"})


@dataclass(frozen=True)
class OrderKey:
    """One ORDER BY item as compiled: its SQL expression, direction and where NULLs sort.
    A pager can resume after a row by comparing these keys (then `_rowid`) with its values."""

    sql: str
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class CompiledQuery:
    """The pieces of one compiled statement; `sql()` and `count_sql()` assemble them.

    Rows of `select_sql` hold the visible `columns` first, then hidden helper columns (Ids
    for the records' `attributes.url`); `shape_record`/`shape_csv_row` read them.
    """

    object_name: str
    base_alias: str
    select_sql: str
    from_sql: str
    where_sql: str
    params: tuple[SqlParam, ...]
    order_sql: str
    has_order_by: bool
    limit: int | None
    offset: int
    is_count: bool
    is_aggregate: bool
    columns: tuple[str, ...]
    shape: RecordShape = field(repr=False)
    order_keys: tuple[OrderKey, ...] = ()  # the ORDER BY items, before the `_rowid` tie-breaker

    def sql(
        self,
        limit: int | None = None,
        offset: int = 0,
        extra_where: str | None = None,
        extra_params: Sequence[SqlParam] = (),
    ) -> tuple[str, tuple[SqlParam, ...]]:
        """The SELECT statement for rows [offset, offset + limit) of the statement's result.

        The window is taken inside the statement's own LIMIT/OFFSET, so `sql()` returns
        exactly what the statement asks for and a pager passes its page bounds. Use the
        pieces (`select_sql`, `from_sql`, ...) to build other windows. `extra_where` (with
        `extra_params`) is ANDed to the WHERE clause, before the statement's OFFSET applies.
        """
        where = self.where_sql
        if extra_where is not None:
            where = f"({where}) AND ({extra_where})"
        text = f"SELECT {self.select_sql} FROM {self.from_sql} WHERE {where}"
        if not self.is_aggregate:
            text += f" ORDER BY {self.order_sql}"
        params = [*self.params, *extra_params]
        window_limit, window_offset = self._window(offset, limit)
        if window_limit is not None or window_offset:
            text += " LIMIT ? OFFSET ?"
            params += [-1 if window_limit is None else window_limit, window_offset]
        return text, tuple(params)

    def count_sql(self) -> tuple[str, tuple[SqlParam, ...]]:
        """`SELECT COUNT(*)` of the rows the statement returns, honouring its LIMIT/OFFSET."""
        if self.is_aggregate:
            inner, params = self.sql()
            return f"SELECT COUNT(*) FROM ({inner})", params
        body = f"FROM {self.from_sql} WHERE {self.where_sql}"
        if self.limit is None and not self.offset:
            return f"SELECT COUNT(*) {body}", self.params
        limit = -1 if self.limit is None else self.limit
        text = f"SELECT COUNT(*) FROM (SELECT 1 {body} LIMIT ? OFFSET ?)"
        return text, (*self.params, limit, self.offset)

    def _window(self, start: int, size: int | None) -> tuple[int | None, int]:
        """Absolute (limit, offset) of rows [start, start + size) of the statement's result."""
        limit = size
        if self.limit is not None:
            remaining = max(0, self.limit - start)
            limit = remaining if size is None else min(size, remaining)
        return limit, self.offset + start


def compile_query(
    query: Query | str, schema: OrgSchema, *, include_deleted: bool, now: datetime
) -> CompiledQuery:
    """Compile a statement (text or parsed). `include_deleted` is True for queryAll; `now`
    anchors relative dates such as TODAY (in UTC)."""
    parsed = parse(query) if isinstance(query, str) else query
    obj = _object(schema, parsed)
    scope = JoinScope(schema, obj, parsed.source, prefix="t", alias=parsed.alias)
    plan = plan_select(parsed, scope)
    where_sql, params = _where(parsed, scope, Context(schema, utc_today(now), include_deleted))
    order_keys = _order_keys(parsed, scope, plan.is_aggregate)
    order_sql = ", ".join(
        [*(_order_item(key) for key in order_keys), f'{scope.base_alias}."_rowid"']
    )
    return CompiledQuery(
        object_name=obj.name,
        base_alias=scope.base_alias,
        select_sql=plan.select_sql,
        from_sql=scope.from_sql(),
        where_sql=where_sql,
        params=params,
        order_sql=order_sql,
        has_order_by=bool(parsed.order_by),
        limit=parsed.limit,
        offset=parsed.offset or 0,
        is_count=parsed.count_all,
        is_aggregate=plan.is_aggregate,
        columns=plan.columns,
        shape=plan.shape,
        order_keys=order_keys,
    )


def compile_condition(
    condition_text: str, obj: ObjectDef, schema: OrgSchema, *, alias: str, now: datetime
) -> tuple[str, tuple[SqlParam, ...]]:
    """Compile a bare WHERE expression against the row aliased `alias` (inserted verbatim).

    Parent paths such as `Owner.IsActive` become correlated subqueries, so the caller's FROM
    clause needs no joins. Soft-deleted rows are not filtered.
    """
    condition = parse_condition(condition_text)
    scope = CorrelatedScope(schema, obj, condition_text, alias=alias)
    context = Context(schema, utc_today(now), include_deleted=False)
    compiler = ConditionCompiler(scope, condition_text, context)
    sql = compiler.compile(condition)
    return sql, tuple(compiler.params)


def _object(schema: OrgSchema, query: Query) -> ObjectDef:
    obj = schema.object(query.object_name)
    if obj is None:
        message = invalid_type(query.object_name).message
        raise located("INVALID_TYPE", query.source, query.object_pos, message)
    return obj


def _where(query: Query, scope: JoinScope, context: Context) -> tuple[str, tuple[SqlParam, ...]]:
    parts = []
    if not context.include_deleted:
        parts.append(f'{scope.base_alias}."IsDeleted" = 0')
    compiler = ConditionCompiler(scope, query.source, context)
    if query.where is not None:
        parts.append(compiler.compile(query.where))
    return " AND ".join(parts) or "1", tuple(compiler.params)


def _order_item(key: OrderKey) -> str:
    direction = "DESC" if key.descending else "ASC"
    return f"{key.sql} {direction} NULLS {'FIRST' if key.nulls_first else 'LAST'}"


def _order_keys(query: Query, scope: JoinScope, is_aggregate: bool) -> tuple[OrderKey, ...]:
    keys = []
    for item in query.order_by:
        if is_aggregate:
            message = f"Ordered field must be grouped or aggregated: {item.path.text}"
            raise malformed_at(query.source, item.path.pos, message)
        column = scope.column(item.path)
        field_def = column.field
        if field_def.type in _UNSORTABLE_TYPES or (
            field_def.type == "textarea" and field_def.length > 255
        ):
            message = f"field '{field_def.name}' can not be sorted in a query call"
            raise invalid_field_at(query.source, item.path.pos, message)
        nulls_first = (not item.descending) if item.nulls_first is None else item.nulls_first
        keys.append(OrderKey(column.sql, item.descending, nulls_first))
    return tuple(keys)
