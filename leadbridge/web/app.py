"""Putting the console on the FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from leadbridge.web.areas import WEB_DIR, found_areas
from leadbridge.web.errors import install_page_errors


def install_console(app: FastAPI) -> None:
    """The console's pages, its static files (/static) and its error pages."""
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    for found in found_areas():
        app.include_router(found.router)
    install_page_errors(app)
