"""Path and query parameter types for the console's routes: the API's bounded ones (see
`leadbridge.api.params`), so a huge or malformed id is a clear 422, never a database error."""

from __future__ import annotations

from leadbridge.api.params import PageSize, RowIdPath, RowIdQuery
from leadbridge.domain.ids import MAX_ROW_ID

RowId = RowIdPath

__all__ = ["MAX_ROW_ID", "PageSize", "RowId", "RowIdPath", "RowIdQuery"]
