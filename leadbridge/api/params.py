"""Integer parameters routes can take without risking a 500: row ids and page sizes are
bounded here, so a huge number (past SQLite's or PostgreSQL's integers) or a non-ASCII digit
is a 422 naming the parameter, before any database work.

    @router.get("/things/{thing_id}")
    async def thing(thing_id: RowIdPath) -> ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from leadbridge.domain.ids import MAX_ROW_ID

RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id.")]
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="A row id.")]
PageSize = Annotated[int, Query(ge=1, le=1000, description="How many to return (1-1000).")]
