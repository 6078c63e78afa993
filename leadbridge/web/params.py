"""Path parameter types for the console's routes: the API's bounded row id (see
`leadbridge.api.params`), so a huge or malformed id is a clear 422, never a database error."""

from __future__ import annotations

from leadbridge.api.params import RowIdPath as RowId
from leadbridge.domain.ids import MAX_ROW_ID

__all__ = ["MAX_ROW_ID", "RowId"]
