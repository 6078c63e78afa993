"""Compiles the SELECT list: the column SQL, the output column names and the record shape."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadbridge.sandbox.soql.ast import CountOf, FieldPath, Query
from leadbridge.sandbox.soql.errors import malformed_at
from leadbridge.sandbox.soql.records import FieldSlot, ParentSlot, RecordShape, Slot
from leadbridge.sandbox.soql.scopes import Column, JoinScope, ParentRef


@dataclass(frozen=True, slots=True)
class SelectPlan:
    select_sql: str
    columns: tuple[str, ...]
    shape: RecordShape
    is_aggregate: bool


def plan_select(query: Query, scope: JoinScope) -> SelectPlan:
    base_id = f'{scope.base_alias}."Id"'
    if query.count_all:
        return SelectPlan(base_id, (), RecordShape(scope.obj.name, 0, (), ()), False)
    if any(isinstance(item, CountOf) for item in query.fields):
        return _aggregate(query, scope)
    paths = [item for item in query.fields if isinstance(item, FieldPath)]
    return _records(paths, scope, query.source)


def _aggregate(query: Query, scope: JoinScope) -> SelectPlan:
    """`SELECT COUNT(a), COUNT(b) FROM ...`: one AggregateResult row with expr0, expr1, ..."""
    expressions: list[str] = []
    slots: list[FieldSlot] = []
    for index, item in enumerate(query.fields):
        if isinstance(item, FieldPath):
            message = f"Field must be grouped or aggregated: {item.text}"
            raise malformed_at(query.source, item.pos, message)
        expressions.append(f"COUNT({scope.column(item.path).sql})")
        slots.append(FieldSlot(f"expr{index}", index, "int"))
    columns = tuple(slot.key for slot in slots)
    shape = RecordShape("AggregateResult", None, tuple(slots), tuple(slots))
    return SelectPlan(", ".join(expressions), columns, shape, True)


@dataclass
class _Node:
    """A parent record being assembled while walking the SELECT list."""

    ref: ParentRef | None
    children: dict[str, _Node | FieldSlot] = field(default_factory=dict)


class _Layout:
    """Row positions: the visible columns first, then hidden helper columns (Ids)."""

    def __init__(self) -> None:
        self.expressions: list[str] = []
        self._positions: dict[str, int] = {}

    def add(self, sql: str) -> int:
        self.expressions.append(sql)
        self._positions.setdefault(sql, len(self.expressions) - 1)
        return len(self.expressions) - 1

    def helper(self, sql: str) -> int:
        position = self._positions.get(sql)
        return self.add(sql) if position is None else position


def _records(paths: list[FieldPath], scope: JoinScope, source: str) -> SelectPlan:
    layout = _Layout()
    root = _Node(None)
    flat: list[FieldSlot] = []
    for path in paths:
        column = scope.column(path)
        if any(slot.key.lower() == column.name.lower() for slot in flat):
            raise malformed_at(source, path.pos, f"duplicate field selected: {column.name}")
        index = layout.add(column.sql)
        flat.append(FieldSlot(column.name, index, column.field.type))
        _place(root, column, FieldSlot(column.field.name, index, column.field.type))
    id_index = layout.helper(f'{scope.base_alias}."Id"')
    shape = RecordShape(scope.obj.name, id_index, _freeze(root, layout), tuple(flat))
    columns = tuple(slot.key for slot in flat)
    return SelectPlan(", ".join(layout.expressions), columns, shape, False)


def _place(root: _Node, column: Column, leaf: FieldSlot) -> None:
    node = root
    for ref in column.parents:
        child = node.children.get(ref.name)
        if not isinstance(child, _Node):
            child = _Node(ref)
            node.children[ref.name] = child
        node = child
    node.children[leaf.key] = leaf


def _freeze(node: _Node, layout: _Layout) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    for key, child in node.children.items():
        if isinstance(child, FieldSlot):
            slots.append(child)
            continue
        assert child.ref is not None
        id_index = layout.helper(child.ref.id_sql)
        slots.append(ParentSlot(key, child.ref.object_name, id_index, _freeze(child, layout)))
    return tuple(slots)
