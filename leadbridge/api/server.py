"""Running the HTTP app with uvicorn, beside background tasks (the sync loop, the form spool).

Each background task gets a `threading.Event` that is set when the server stops; it should
return soon after. A task that raises is logged with its traceback and started again after
a pause (longer after each failure in a row, capped): the HTTP app — the public form
handlers above all — keeps serving whatever the background does.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Sequence

import uvicorn
from fastapi import FastAPI

logger = logging.getLogger(__name__)
Background = Callable[[threading.Event], None]
JOIN_SECONDS = 30.0
RESTART_BASE_SECONDS = 1.0
RESTART_CAP_SECONDS = 60.0
HEALTHY_SECONDS = 60.0  # a task that ran this long before failing starts again at once


def build_server(
    app: FastAPI,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    trusted_proxies: Sequence[str] = (),
    log_level: str = "info",
) -> uvicorn.Server:
    """With `trusted_proxies` (addresses, or `*`), X-Forwarded-Proto and -For from those
    addresses are believed: behind a TLS-terminating proxy the request scheme is then https
    (Secure cookies, HSTS) and the client address the visitor's (per-IP form limits).
    Without, forwarded headers are ignored, whoever sends them."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies) or None,
    )
    return uvicorn.Server(config)


def supervise(
    task: Background, stop: threading.Event, *, base: float = RESTART_BASE_SECONDS
) -> None:
    """Run `task` until `stop` is set, starting it again whenever it raises or returns early."""
    failures = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            task(stop)
        except Exception:
            if time.monotonic() - started >= HEALTHY_SECONDS:
                failures = 0
            failures += 1
            wait = min(RESTART_CAP_SECONDS, base * 2 ** min(failures - 1, 16))
            logger.exception(
                "background task failed; starting it again in %.0f s",
                wait,
                extra={"action": "background_failed"},
            )
            stop.wait(wait)
        else:
            if not stop.is_set():
                stop.wait(base)


def serve(
    server: uvicorn.Server, background: Background | Sequence[Background] | None = None
) -> None:
    """Run `server` until it stops (Ctrl-C, or `server.should_exit`), with `background`."""
    stop = threading.Event()
    tasks: Sequence[Background] = (
        () if background is None else [background] if callable(background) else background
    )
    workers = [
        threading.Thread(
            target=supervise, args=(task, stop), name=f"leadbridge-background-{n}", daemon=True
        )
        for n, task in enumerate(tasks)
    ]
    for worker in workers:
        worker.start()
    # Everything made so far (the imported modules, the app) lives as long as the process:
    # moved out of the collector's reach, a full collection no longer walks it, so it never
    # stalls a request for tens of milliseconds (the form endpoint's p99).
    gc.freeze()
    try:
        server.run()
    finally:
        stop.set()
        for worker in workers:
            worker.join(JOIN_SECONDS)


def run_server(
    app: FastAPI,
    host: str,
    port: int,
    background: Background | Sequence[Background] | None = None,
    *,
    trusted_proxies: Sequence[str] = (),
) -> None:
    """Serve `app` on host:port until stopped, running `background` beside it."""
    serve(build_server(app, host, port, trusted_proxies=trusted_proxies), background)
