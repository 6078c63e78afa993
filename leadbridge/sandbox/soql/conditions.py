"""Compiles WHERE conditions into parameterised SQLite expressions.

Salesforce evaluates conditions with two-valued logic: `Email != 'a'` and `NOT (Email = 'a')`
both match a null Email. SQL's NULL would make such rows disappear, so `!=` tests for null
explicitly, and every predicate under a NOT is "guarded" (`col IS NOT NULL AND ...`) so it
yields 0 rather than NULL. Outside a NOT, NULL and 0 behave the same and need no guard.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from leadbridge.sandbox.exceptions import invalid_type
from leadbridge.sandbox.schema import OrgSchema
from leadbridge.sandbox.soql.ast import (
    And,
    Comparison,
    ComparisonOp,
    Condition,
    FieldPath,
    InList,
    Not,
    Or,
    Query,
    SemiJoin,
)
from leadbridge.sandbox.soql.errors import invalid_field_at, located, malformed_at
from leadbridge.sandbox.soql.scopes import Column, JoinScope, Scope
from leadbridge.sandbox.soql.values import Coercer, Null, Operand, Range, Scalar, SqlParam

_RANGE_BOUNDS = {"<": ("<", 0), "<=": ("<", 1), ">": (">=", 1), ">=": (">=", 0)}


@dataclass
class Context:
    """What every condition of one statement shares."""

    schema: OrgSchema
    today: date
    include_deleted: bool
    in_subquery: bool = False
    subquery_numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))


class ConditionCompiler:
    """Compiles conditions against `scope`; placeholders' values collect in `params`."""

    def __init__(self, scope: Scope, source: str, context: Context) -> None:
        self.scope = scope
        self.source = source
        self.context = context
        self.coercer = Coercer(source, context.today)
        self.params: list[SqlParam] = []

    def compile(self, condition: Condition, guard: bool = False) -> str:
        if isinstance(condition, And | Or):
            joiner = " AND " if isinstance(condition, And) else " OR "
            return "(" + joiner.join(self.compile(item, guard) for item in condition.operands) + ")"
        if isinstance(condition, Not):
            return f"NOT ({self.compile(condition.operand, guard=True)})"
        if isinstance(condition, Comparison):
            return self._comparison(condition, guard)
        if isinstance(condition, InList):
            return self._in_list(condition, guard)
        return self._semi_join(condition, guard)

    def filter_column(self, path: FieldPath) -> Column:
        column = self.scope.column(path)
        if column.field.type == "textarea" and column.field.length > 255:
            message = f"field '{column.field.name}' can not be filtered in a query call"
            raise invalid_field_at(self.source, path.pos, message)
        return column

    # -- predicates ----------------------------------------------------------------------

    def _comparison(self, condition: Comparison, guard: bool) -> str:
        column = self.filter_column(condition.path)
        if condition.op == "LIKE":
            pattern = self.coercer.like_pattern(column, condition.value)
            self.params.append(pattern)
            return _guarded(column.sql, f"{column.sql} LIKE ? ESCAPE '\\'", guard)
        operand = self.coercer.operand(column, condition.value)
        return self._predicate(column.sql, condition.op, operand, guard)

    def _predicate(self, col: str, op: ComparisonOp, operand: Operand, guard: bool) -> str:
        if isinstance(operand, Null):
            return {"=": f"{col} IS NULL", "!=": f"{col} IS NOT NULL"}.get(op, "0")
        if isinstance(operand, Range):
            return self._range(col, op, operand, guard)
        self.params.append(operand.value)
        if op == "=" and operand.blank:
            return f"({col} IS NULL OR {col} = ?)"
        if op == "!=":
            if operand.blank:
                return f"({col} IS NOT NULL AND {col} != ?)"
            return f"({col} IS NULL OR {col} != ?)"
        return _guarded(col, f"{col} {op} ?", guard)

    def _range(self, col: str, op: ComparisonOp, operand: Range, guard: bool) -> str:
        """A date compared with a datetime or relative date: compare with the range's bounds."""
        bounds = (operand.low, operand.high)
        if op == "=":
            self.params.extend(bounds)
            return _guarded(col, f"({col} >= ? AND {col} < ?)", guard)
        if op == "!=":
            self.params.extend(bounds)
            return f"({col} IS NULL OR {col} < ? OR {col} >= ?)"
        sql_op, bound = _RANGE_BOUNDS[op]
        self.params.append(bounds[bound])
        return _guarded(col, f"{col} {sql_op} ?", guard)

    def _in_list(self, condition: InList, guard: bool) -> str:
        column = self.filter_column(condition.path)
        operands = [self.coercer.operand(column, value) for value in condition.values]
        sql = self._membership(column.sql, operands, guard or condition.negated)
        return f"NOT ({sql})" if condition.negated else sql

    def _membership(self, col: str, operands: list[Operand], guard: bool) -> str:
        scalars = [item.value for item in operands if isinstance(item, Scalar)]
        ranges = [item for item in operands if isinstance(item, Range)]
        with_null = any(_is_null_like(item) for item in operands)
        parts = []
        if scalars:
            parts.append(f"{col} IN ({', '.join('?' * len(scalars))})")
            self.params.extend(scalars)
        for item in ranges:
            parts.append(f"({col} >= ? AND {col} < ?)")
            self.params.extend((item.low, item.high))
        if not parts:
            return f"{col} IS NULL"
        body = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
        if with_null:
            return f"({col} IS NULL OR {body})"
        return _guarded(col, body, guard)

    # -- semi-join -----------------------------------------------------------------------

    def _semi_join(self, condition: SemiJoin, guard: bool) -> str:
        if self.context.in_subquery:
            raise malformed_at(
                self.source,
                condition.query.object_pos,
                "Nesting of semi join sub-selects is not supported",
            )
        column = self.filter_column(condition.path)
        subquery = self._subquery(condition.query)
        sql = _guarded(column.sql, f"{column.sql} IN ({subquery})", guard or condition.negated)
        return f"NOT ({sql})" if condition.negated else sql

    def _subquery(self, query: Query) -> str:
        obj = self.context.schema.object(query.object_name)
        if obj is None:
            message = invalid_type(query.object_name).message
            raise located("INVALID_TYPE", self.source, query.object_pos, message)
        if obj.name == self.scope.obj.name:
            raise malformed_at(
                self.source,
                query.object_pos,
                "The inner and outer selects should not be on the same object type",
            )
        item = _single_field(query, self.source)
        prefix = f"s{next(self.context.subquery_numbers)}_"
        scope = JoinScope(self.context.schema, obj, self.source, prefix=prefix, alias=query.alias)
        column = scope.column(item)
        inner = ConditionCompiler(scope, self.source, _nested(self.context))
        where = [f"{column.sql} IS NOT NULL"]
        if not self.context.include_deleted:
            where.append(f'{scope.base_alias}."IsDeleted" = 0')
        if query.where is not None:
            where.append(inner.compile(query.where))
        self.params.extend(inner.params)
        return f"SELECT {column.sql} FROM {scope.from_sql()} WHERE {' AND '.join(where)}"


def _single_field(query: Query, source: str) -> FieldPath:
    """The one plain field a semi-join sub-select may select."""
    if query.order_by or query.limit is not None or query.offset is not None:
        raise malformed_at(
            source,
            query.object_pos,
            "ORDER BY, LIMIT and OFFSET are not supported in semi join sub-selects",
        )
    fields = query.fields
    if query.count_all or len(fields) != 1 or not isinstance(fields[0], FieldPath):
        pos = fields[1].pos if len(fields) > 1 else query.object_pos
        raise malformed_at(source, pos, "Semi join sub-selects must select exactly one field")
    return fields[0]


def _nested(context: Context) -> Context:
    return Context(
        context.schema, context.today, context.include_deleted, True, context.subquery_numbers
    )


def _is_null_like(operand: Operand) -> bool:
    return isinstance(operand, Null) or (isinstance(operand, Scalar) and operand.blank)


def _guarded(col: str, sql: str, guard: bool) -> str:
    return f"({col} IS NOT NULL AND {sql})" if guard else sql
