"""leadbridge's HTTP app (FastAPI): `create_app(database, clock)` builds it, `run_server`
serves it with uvicorn beside an optional background task."""

from __future__ import annotations

from leadbridge.api.app import create_app
from leadbridge.api.server import run_server

__all__ = ["create_app", "run_server"]
