"""The console's prospect list: search, filters, sort and keyset pages over a million rows.

A search is a prefix of an email, a first or last name or a company, matched through
indexes on `email_key`, `lower(first_name)`, `lower(last_name)` and `lower(company)` as
ranges (`key >= 'ada' AND key < 'adb'`), which both SQLite and PostgreSQL answer from a
btree whatever their LIKE rules or collation; a LIKE re-checks what the range found.

Which plan serves a page depends on how many prospects the words match, so each database
gets the fast one without statistics:
- few (≤ `NARROW` found through the indexes): each read once, with its sort key and whether
  it passes the filters, in the query that finds it; sorted and paged here, with their exact
  count;
- many: the sort index is walked in order and each row tested, which finds a page of
  matches after a few hundred rows. The match is then written so that no prefix index can
  serve it, or SQLite would collect every match before sorting.

The "open sync errors" filter is served the same way: up to `NARROW` open errors, their
prospects are looked up by id, filtered, sorted and paged here; more, and the sort index is
walked, each prospect's open errors probed (they are then dense enough to fill a page soon).
A broad search with that filter takes the same path.

Pages are keyset pages (the last row's sort key and id), never OFFSET.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session

from leadbridge.errors import InputError
from leadbridge.store.models import LIVE, RECYCLED, ProspectRow, SyncErrorRow, UserRow
from leadbridge.store.types import UtcDateTime

NARROW = 2000  # up to this many index matches, page over the matched ids
MAX_SEARCH = 100
MAX_LIMIT = 200
ESCAPE = "\\"


class Sort(StrEnum):
    UPDATED = "updated"  # newest change first
    CREATED = "created"  # newest first
    EMAIL = "email"  # A to Z

    @property
    def label(self) -> str:
        return {"updated": "Last updated", "created": "Newest", "email": "Email A to Z"}[self]


@dataclass(frozen=True)
class ProspectQuery:
    """What a list page asks for. `scope_user_id` is the sales user whose prospects alone
    may be listed; `assigned_user_id` is the "assigned to" filter."""

    search: str = ""
    scope_user_id: int | None = None
    assigned_user_id: int | None = None
    unassigned: bool = False
    in_crm: bool | None = None
    open_errors: bool = False
    recycled: bool = False
    deleted_in_crm: bool = False
    sort: Sort = Sort.UPDATED
    after: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class ListedProspect:
    id: int
    email: str
    first_name: str | None
    last_name: str | None
    company: str | None
    assigned_user_id: int | None
    assigned_user: str | None
    crm_lead_id: str | None
    crm_contact_id: str | None
    do_not_sync: bool
    recycled: bool
    deleted_in_crm: bool
    score: int
    created_at: datetime
    updated_at: datetime
    open_errors: int = 0

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def crm_id(self) -> str | None:
        return self.crm_contact_id or self.crm_lead_id


@dataclass(frozen=True)
class ProspectPage:
    rows: list[ListedProspect]
    next_after: str | None
    matches: int | None = None  # exact when the search was narrow
    broad: bool = False  # the search matched more than NARROW prospects
    notes: list[str] = field(default_factory=list)


_LIST_COLUMNS = (
    ProspectRow.id,
    ProspectRow.email,
    ProspectRow.first_name,
    ProspectRow.last_name,
    ProspectRow.company,
    ProspectRow.assigned_user_id,
    ProspectRow.crm_lead_id,
    ProspectRow.crm_contact_id,
    ProspectRow.do_not_sync,
    ProspectRow.recycled,
    ProspectRow.deleted_in_crm,
    ProspectRow.score,
    ProspectRow.created_at,
    ProspectRow.updated_at,
)


def search_keys() -> tuple[ColumnElement[Any], ...]:
    """The indexed expressions a search matches (the same ones the indexes are built on)."""
    return (
        ProspectRow.email_key.expression,
        func.lower(ProspectRow.first_name),
        func.lower(ProspectRow.last_name),
        func.lower(ProspectRow.company),
    )


def _successor(prefix: str) -> str | None:
    """The smallest string after every string starting with `prefix` (None: no bound)."""
    last = ord(prefix[-1])
    return None if last >= 0x10FFFF else prefix[:-1] + chr(last + 1)


def _like(prefix: str) -> str:
    escaped = prefix.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%")
    return escaped.replace("_", ESCAPE + "_") + "%"


def _prefix_match(key: ColumnElement[Any], prefix: str) -> ColumnElement[bool]:
    upper = _successor(prefix)
    terms = [key >= prefix, key.like(_like(prefix), escape=ESCAPE)]
    if upper is not None:
        terms.insert(1, key < upper)
    return and_(*terms)


def _unindexed_match(prefix: str) -> ColumnElement[bool]:
    """The same match on expressions no index is built on (the broad plan)."""
    pattern = _like(prefix)
    keys = (
        func.coalesce(ProspectRow.email_key, ""),
        func.lower(func.coalesce(ProspectRow.first_name, "")),
        func.lower(func.coalesce(ProspectRow.last_name, "")),
        func.lower(func.coalesce(ProspectRow.company, "")),
    )
    return or_(*(key.like(pattern, escape=ESCAPE) for key in keys))


def clean_search(raw: str) -> str:
    text = " ".join(raw.split()).lower()
    if len(text) > MAX_SEARCH:
        raise InputError(f"at most {MAX_SEARCH} characters", item="q")
    return text


class ProspectSearch:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, query: ProspectQuery) -> ProspectPage:
        if not 1 <= query.limit <= MAX_LIMIT:
            raise InputError(f"must be between 1 and {MAX_LIMIT}", item="limit")
        search = clean_search(query.search)
        conditions = self._filters(query)
        if query.after:
            conditions.append(_after(query.sort, query.after))
        matches: int | None = None
        broad = False
        found: list[tuple[Any, int]] | None = None
        if search:
            found = self._matched(search, and_(*conditions), query.sort)
            if found is None:
                broad = True
                conditions.append(_unindexed_match(search))
            else:
                matches = len(found)
        if found is None and query.open_errors:
            found = self._with_few_errors(and_(*conditions), query.sort)
        if found is not None:  # the page's ids, already filtered and sorted: only those now
            conditions = [ProspectRow.id.in_(_page_ids(found, query))]
        statement = cast("Select[Any]", select(*_LIST_COLUMNS).where(*conditions))
        rows = self.session.execute(_ordered(statement, query.sort).limit(query.limit + 1)).all()
        listed = self._listed(rows[: query.limit])
        more = len(rows) > query.limit
        next_after = cursor_of(listed[-1], query.sort) if more and listed else None
        return ProspectPage(listed, next_after, matches, broad)

    def visible_ids(self, ids: Sequence[int], scope_user_id: int | None) -> list[int]:
        """Those of `ids` that exist and that a user scoped to `scope_user_id` may see."""
        statement = select(ProspectRow.id).where(ProspectRow.id.in_(list(ids)))
        if scope_user_id is not None:
            statement = statement.where(ProspectRow.assigned_user_id == scope_user_id)
        return list(self.session.scalars(statement.order_by(ProspectRow.id)))

    # -- helpers -------------------------------------------------------------------------

    def _filters(self, query: ProspectQuery) -> list[ColumnElement[bool]]:
        row = ProspectRow
        conditions: list[ColumnElement[bool]] = [RECYCLED if query.recycled else LIVE]
        if query.scope_user_id is not None:
            conditions.append(row.assigned_user_id == query.scope_user_id)
        if query.assigned_user_id is not None:
            conditions.append(row.assigned_user_id == query.assigned_user_id)
        if query.unassigned:
            conditions.append(row.assigned_user_id.is_(None))
        if query.in_crm is True:
            conditions.append(or_(row.crm_lead_id.is_not(None), row.crm_contact_id.is_not(None)))
        if query.in_crm is False:
            conditions.append(and_(row.crm_lead_id.is_(None), row.crm_contact_id.is_(None)))
        if query.open_errors:
            conditions.append(_has_open_errors())
        if query.deleted_in_crm:
            conditions.append(row.deleted_in_crm == true())
        return conditions

    def _matched(
        self, search: str, passes: ColumnElement[bool], sort: Sort
    ) -> list[tuple[Any, int]] | None:
        """The (sort key, id) of the prospects the prefix indexes find that pass the filters
        and the page position, or None when more than NARROW match, filters aside.

        Each match's sort key and filters are read in the same query that finds it (one row
        look-up per match); sorting and paging the few found happens here: given an ORDER BY
        and a LIMIT, PostgreSQL would rather walk the whole sort index than look them up."""
        sort_key = _sort_key(sort)
        found: dict[int, tuple[Any, bool]] = {}
        for key in search_keys():
            rows = self.session.execute(
                select(ProspectRow.id, sort_key, passes.label("passes"))
                .where(_prefix_match(key, search))
                .limit(NARROW + 1)
            )
            found.update((row[0], (row[1], bool(row[2]))) for row in rows)
            if len(found) > NARROW:
                return None
        return [(value, row_id) for row_id, (value, ok) in found.items() if ok]

    def _with_few_errors(
        self, passes: ColumnElement[bool], sort: Sort
    ) -> list[tuple[Any, int]] | None:
        """The (sort key, id) of the prospects with open sync errors that pass the filters,
        or None when more than NARROW errors are open. Few are looked up by id: walking the
        sort index would test every prospect before finding a page of them. Many are dense
        enough for the walk to find a page soon (around NARROW both take about as long:
        a look-up per error against a walk of a page's worth of prospects per error)."""
        open_errors = _open_error_prospects()
        bounded = open_errors.limit(NARROW + 1).subquery()
        if int(self.session.scalar(select(func.count()).select_from(bounded)) or 0) > NARROW:
            return None
        # A subquery, not the ids as parameters: thousands of parameters cost more to send
        # than the look-ups; without ORDER BY and LIMIT both databases drive from the errors.
        rows = self.session.execute(
            select(ProspectRow.id, _sort_key(sort), passes.label("passes")).where(
                ProspectRow.id.in_(open_errors)
            )
        )
        return [(row[1], row[0]) for row in rows if row[2]]

    def _listed(self, rows: Sequence[Any]) -> list[ListedProspect]:
        user_ids = {row.assigned_user_id for row in rows if row.assigned_user_id is not None}
        names = {
            user.id: user.name or user.email
            for user in self.session.execute(
                select(UserRow.id, UserRow.name, UserRow.email).where(UserRow.id.in_(user_ids))
            )
        }
        errors = dict(
            self.session.execute(
                select(SyncErrorRow.prospect_id, func.count())
                .where(
                    SyncErrorRow.prospect_id.in_([row.id for row in rows]),
                    SyncErrorRow.resolved_at.is_(None),
                )
                .group_by(SyncErrorRow.prospect_id)
            ).all()
        )
        return [
            ListedProspect(
                **row._asdict(),
                assigned_user=names.get(row.assigned_user_id),
                open_errors=int(errors.get(row.id, 0)),
            )
            for row in rows
        ]


def _page_ids(found: list[tuple[Any, int]], query: ProspectQuery) -> list[int]:
    """The ids of the page (and one more, to tell whether another follows) among `found`."""
    found.sort(reverse=query.sort is not Sort.EMAIL)
    return [row_id for _, row_id in found[: query.limit + 1]]


def _open_error_prospects() -> Select[Any]:
    return select(SyncErrorRow.prospect_id).where(
        SyncErrorRow.resolved_at.is_(None), SyncErrorRow.prospect_id.is_not(None)
    )


def _has_open_errors() -> ColumnElement[bool]:
    """Correlated, so that with many open errors SQLite walks the sort index and probes
    each prospect's errors, rather than sorting every prospect with one."""
    return (
        select(SyncErrorRow.id)
        .where(SyncErrorRow.prospect_id == ProspectRow.id, SyncErrorRow.resolved_at.is_(None))
        .exists()
    )


def _sort_key(sort: Sort) -> ColumnElement[Any]:
    keys: dict[Sort, ColumnElement[Any]] = {
        Sort.UPDATED: ProspectRow.updated_at.expression,
        Sort.CREATED: ProspectRow.created_at.expression,
        Sort.EMAIL: ProspectRow.email_key.expression,
    }
    return keys[sort]


def _ordered(statement: Select[Any], sort: Sort) -> Select[Any]:
    key = _sort_key(sort)
    if sort is Sort.EMAIL:
        return statement.order_by(key.asc(), ProspectRow.id.asc())
    return statement.order_by(key.desc(), ProspectRow.id.desc())


def cursor_of(row: ListedProspect, sort: Sort) -> str:
    """The `after` value for the page following `row`."""
    if sort is Sort.EMAIL:
        return f"{row.email.strip().lower()}~{row.id}"
    when = row.updated_at if sort is Sort.UPDATED else row.created_at
    return f"{when.isoformat()}~{row.id}"


def _after(sort: Sort, after: str) -> ColumnElement[bool]:
    value, _, raw_id = after.rpartition("~")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 10 or not value:
        raise InputError("is not a page position from this list", item="after")
    last_id = int(raw_id)
    key = _sort_key(sort)
    if sort is Sort.EMAIL:
        return tuple_(key, ProspectRow.id) > tuple_(literal(value), literal(last_id))
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InputError("is not a page position from this list", item="after") from None
    if when.tzinfo is None:
        raise InputError("is not a page position from this list", item="after")
    bound = literal(when, UtcDateTime())
    return tuple_(key, ProspectRow.id) < tuple_(bound, literal(last_id))
