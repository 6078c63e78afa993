"""Running the HTTP app with uvicorn, optionally beside a background task (the sync loop).

The background task gets a `threading.Event` that is set when the server stops; it should
return soon after. If it fails, the server is stopped too, so the failure is not hidden
behind a server that looks healthy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

logger = logging.getLogger(__name__)
Background = Callable[[threading.Event], None]
JOIN_SECONDS = 30.0


class BackgroundFailedError(RuntimeError):
    """The background task raised; the server was stopped because of it."""


def build_server(app: FastAPI, host: str = "127.0.0.1", port: int = 8080) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info"))


def serve(server: uvicorn.Server, background: Background | None = None) -> None:
    """Run `server` until it stops (Ctrl-C, or `server.should_exit`), with `background`."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def run_background(task: Background) -> None:
        try:
            task(stop)
        except Exception as error:
            logger.exception("background task failed", extra={"action": "background_failed"})
            failures.append(error)
            server.should_exit = True

    worker = None
    if background is not None:
        worker = threading.Thread(
            target=run_background, args=(background,), name="leadbridge-background", daemon=True
        )
        worker.start()
    try:
        server.run()
    finally:
        stop.set()
        if worker is not None:
            worker.join(JOIN_SECONDS)
    if failures:
        raise BackgroundFailedError(f"the background task failed: {failures[0]}") from failures[0]


def run_server(app: FastAPI, host: str, port: int, background: Background | None = None) -> None:
    """Serve `app` on host:port until stopped, running `background` beside it."""
    serve(build_server(app, host, port), background)
