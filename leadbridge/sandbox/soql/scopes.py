"""Name resolution: turns a field path into a SQL column expression.

Two strategies share the same path walk:

* `JoinScope` (queries) adds one LEFT JOIN per distinct parent path, aliased t1, t2, ...
* `CorrelatedScope` (bare conditions such as validation rules) reads a parent field with a
  correlated scalar subquery, so the caller's FROM clause stays untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from leadbridge.sandbox.exceptions import invalid_field_in_query
from leadbridge.sandbox.schema import FieldDef, ObjectDef, OrgSchema
from leadbridge.sandbox.soql.ast import FieldPath
from leadbridge.sandbox.soql.errors import invalid_field_at

_BAD_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)


def quote(name: str) -> str:
    """A double-quoted SQL identifier (schema names never contain quotes, but be safe)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Hop:
    """One step up a parent relationship: the child's reference field and the parent object."""

    reference: FieldDef
    target: ObjectDef


@dataclass(frozen=True, slots=True)
class ParentRef:
    """A joined parent along a path: its relationship name, type and the SQL of its Id."""

    name: str
    object_name: str
    id_sql: str


@dataclass(frozen=True, slots=True)
class Column:
    sql: str
    field: FieldDef
    name: str  # canonical dotted path, e.g. "Owner.Email"
    parents: tuple[ParentRef, ...] = ()


class Scope(Protocol):
    obj: ObjectDef

    def column(self, path: FieldPath) -> Column: ...


def resolve(
    schema: OrgSchema, obj: ObjectDef, path: FieldPath, source: str, prefixes: tuple[str, ...]
) -> tuple[tuple[Hop, ...], FieldDef]:
    """Walk `path` from `obj`; a leading object name or alias in `prefixes` is skipped."""
    parts = path.parts
    if len(parts) > 1 and parts[0].lower() in prefixes and obj.relationship(parts[0]) is None:
        parts = parts[1:]
    hops: list[Hop] = []
    current = obj
    for name in parts[:-1]:
        reference = current.relationship(name)
        target = schema.object(reference.reference_to[0]) if reference else None
        if reference is None or target is None:
            raise invalid_field_at(source, path.pos, _BAD_RELATIONSHIP.format(name=name))
        hops.append(Hop(reference, target))
        current = target
    field = current.field(parts[-1])
    if field is None:
        message = invalid_field_in_query(parts[-1], current.name).message
        raise invalid_field_at(source, path.pos, message)
    return tuple(hops), field


def dotted_name(hops: tuple[Hop, ...], field: FieldDef) -> str:
    names = [str(hop.reference.relationship_name) for hop in hops]
    return ".".join([*names, field.name])


class JoinScope:
    """Resolves paths against `"Object" AS <prefix>0`, adding LEFT JOINs for parent paths."""

    def __init__(
        self, schema: OrgSchema, obj: ObjectDef, source: str, *, prefix: str, alias: str | None
    ) -> None:
        self.schema = schema
        self.obj = obj
        self.source = source
        self.prefix = prefix
        self.base_alias = f"{prefix}0"
        self._prefixes = tuple(name.lower() for name in (obj.name, alias) if name)
        self._aliases: dict[tuple[str, ...], str] = {}
        self._joins: list[str] = []

    def column(self, path: FieldPath) -> Column:
        hops, field = resolve(self.schema, self.obj, path, self.source, self._prefixes)
        alias = self.base_alias
        key: tuple[str, ...] = ()
        parents: list[ParentRef] = []
        for hop in hops:
            key += (hop.reference.name,)
            alias = self._join(key, alias, hop)
            name = str(hop.reference.relationship_name)
            parents.append(ParentRef(name, hop.target.name, f'{alias}."Id"'))
        return Column(
            f"{alias}.{quote(field.name)}", field, dotted_name(hops, field), tuple(parents)
        )

    def _join(self, key: tuple[str, ...], child: str, hop: Hop) -> str:
        alias = self._aliases.get(key)
        if alias is None:
            alias = f"{self.prefix}{len(self._aliases) + 1}"
            self._aliases[key] = alias
            self._joins.append(
                f"LEFT JOIN {quote(hop.target.name)} AS {alias} "
                f'ON {alias}."Id" = {child}.{quote(hop.reference.name)}'
            )
        return alias

    def from_sql(self) -> str:
        return " ".join([f"{quote(self.obj.name)} AS {self.base_alias}", *self._joins])


class CorrelatedScope:
    """Resolves paths against an outer alias; parent fields become scalar subqueries."""

    def __init__(self, schema: OrgSchema, obj: ObjectDef, source: str, *, alias: str) -> None:
        self.schema = schema
        self.obj = obj
        self.source = source
        self.alias = alias
        self._count = 0
        self._prefixes = (obj.name.lower(),)

    def column(self, path: FieldPath) -> Column:
        hops, field = resolve(self.schema, self.obj, path, self.source, self._prefixes)
        name = dotted_name(hops, field)
        if not hops:
            return Column(f"{self.alias}.{quote(field.name)}", field, name)
        self._count += 1
        aliases = [f"_p{self._count}_{depth}" for depth in range(len(hops))]
        joins = [f"{quote(hops[0].target.name)} AS {aliases[0]}"]
        for depth in range(1, len(hops)):
            hop, alias, parent = hops[depth], aliases[depth], aliases[depth - 1]
            joins.append(
                f"JOIN {quote(hop.target.name)} AS {alias} "
                f'ON {alias}."Id" = {parent}.{quote(hop.reference.name)}'
            )
        sql = (
            f"(SELECT {aliases[-1]}.{quote(field.name)} FROM {' '.join(joins)} "
            f'WHERE {aliases[0]}."Id" = {self.alias}.{quote(hops[0].reference.name)})'
        )
        return Column(sql, field, name)
