"""Path and query parameter types shared by the console's routes: bounded, so a huge or
malformed id is a clear 422, never a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id.")]
